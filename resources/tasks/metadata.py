"""Metadata tasks."""
