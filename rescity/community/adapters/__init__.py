"""Database tables and migrations of the community module."""
