"""The maps tests' fixtures: part II's small city on each backend, with a clock."""

from tests.community.casework import clock, db_url, engine, world  # noqa: F401
