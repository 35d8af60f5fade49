"""Thin entry points (CLI) over the assessment services."""
