"""The JSON API under /api/v1/: the meetings side, plus what both apps' API modules share."""
