"""A few helpers for using rescity from Python (notebooks, scripts); see docs/python-api.md.

The services take a unit of work and a principal, as the web app and the CLI do; these
helpers open the configured database and look a user up, so a notebook asks the same
authorization policy and leaves the same audit trail as everyone else.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from rescity.core.accounts import User, principal_of
from rescity.core.config import Settings, load_settings
from rescity.core.errors import ConfigError, NotFound, Problem
from rescity.core.security.policy import Principal
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory

__all__ = ["connect", "user"]


def connect(settings: Settings | None = None) -> tuple[sessionmaker[Any], Settings]:
    """A session factory on the configured database (``RESCITY_*``), and the settings."""
    settings = settings or load_settings()
    engine = make_engine(settings.resolved_database_url)
    if not migrate.is_up_to_date(engine):
        raise ConfigError([Problem("database", "schema is not up to date: run "
                                               "`rescity db upgrade` first")],
                          source=settings.resolved_database_url)
    return make_session_factory(engine), settings


def user(factory: sessionmaker[Any], username: str) -> Principal:
    """The principal of ``username``: what the notebook may read is what that user may."""
    with factory() as session:
        found = session.scalars(select(User).where(User.username == username)).one_or_none()
        if found is None:
            raise NotFound(f"no user '{username}'")
        return principal_of(found)
