"""The JSON API under /api/v1/: the library and reading lists."""
