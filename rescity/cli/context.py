"""Helpers shared by CLI commands: settings from the Typer context, a migrated database."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from rescity.core.config import Settings
from rescity.core.errors import ConfigError, Problem
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory


def settings_of(ctx: typer.Context) -> Settings:
    root = ctx.find_root()
    settings: Settings = root.obj.get()
    return settings


# stderr: commands' own output (exports, tables) stays clean for pipes and files.
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def database(
    settings: Settings, *, require_current: bool = True
) -> tuple[Engine, sessionmaker[Any]]:
    """The command's database, named on stderr: every clone shares the default data folder."""
    engine = make_engine(settings.resolved_database_url)
    _err.print(f"database: {engine.url.render_as_string(hide_password=True)}", markup=False)
    if require_current and not migrate.is_up_to_date(engine):
        raise ConfigError(
            [Problem("database", "schema is not up to date: run `rescity db upgrade` first")],
            source=settings.resolved_database_url,
        )
    return engine, make_session_factory(engine)
