"""Helpers shared by CLI commands: settings from the Typer context, a migrated database."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from rescity.core.config import Settings
from rescity.core.errors import ConfigError, InputError, Problem
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
    _err.print(f"database: {engine.url.render_as_string(hide_password=True)}", markup=False,
               soft_wrap=True)
    if require_current and not migrate.is_up_to_date(engine):
        raise ConfigError(
            [Problem("database", "schema is not up to date: run `rescity db upgrade` first")],
            source=settings.resolved_database_url,
        )
    return engine, make_session_factory(engine)


def moment(value: str, zone: ZoneInfo, option: str = "--at") -> datetime:
    """An ``--at`` date-time for rehearsals: ISO, in ``zone`` unless it carries an offset."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError([Problem(option, "an ISO date-time such as 2026-12-01T13:00 "
                                          "(local time) or 2026-12-01T05:00+00:00")]) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def zoned(value: datetime, zone: ZoneInfo) -> str:
    """A time as people read it: local, labelled with its zone ("2026-12-01 13:00 CST")."""
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({zone.key})"
