"""Part II's fixtures: a small city on each backend, with a clock the tests move."""

from tests.community.casework import clock, db_url, engine, world  # noqa: F401
