"""Thin entry points: JSON API, server-rendered pages, CLI commands, demo loader."""
