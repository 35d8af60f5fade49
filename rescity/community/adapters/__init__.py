"""The community module's Alembic revisions (``migrations/``); the tables are in each
capability's ``adapters.py``."""
