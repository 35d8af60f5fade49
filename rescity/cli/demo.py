"""`rescity demo`: the main job on the embedded default, from nothing to a running web app.

It creates (or updates) the SQLite database, a demo city hierarchy and demo users, loads what
each module contributes, then serves the web app on localhost and prints the URL and login.
Running it again is safe: existing places and users are kept, passwords are reset.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rescity.cli.context import settings_of
from rescity.core.accounts import User, create_user, grant_role
from rescity.core.config import Settings
from rescity.core.places import Place, PlaceLevel, add_place, get_place
from rescity.core.security.passwords import hash_password
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork

console = Console()


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    serve: Annotated[bool, typer.Option(help="Serve the web app when set up.")] = True,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
) -> None:
    """Set up the demo database and serve the web app on localhost."""
    settings = settings_of(ctx)
    engine = make_engine(settings.resolved_database_url)
    console.print(f"database: {engine.url.render_as_string(hide_password=True)}")
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    logins = seed_demo(factory)
    from rescity.cli.modules import demo_loaders

    for name, loader in demo_loaders():
        with console.status(f"loading {name} demo data…"):
            summary = loader(settings, factory)
        console.print(f"[green]✓[/] {name}: {summary}")

    settings = _with_demo_extracts(settings)
    url = f"http://{settings.host}:{port or settings.port}/"
    table = Table("username", "password", "role", title="demo logins")
    for login in logins:
        table.add_row(login.username, login.password, login.role)
    console.print(table)
    console.print(f"web app: [bold]{url}[/]  (API docs at {url}docs)")
    if serve:
        import uvicorn

        from rescity.web.app import create_app

        uvicorn.run(
            create_app(settings, engine=engine),
            host=settings.host,
            port=port or settings.port,
            log_level="warning",
        )


def _with_demo_extracts(settings: Settings) -> Settings:
    """Offer the shared OSM extracts on the assessment page when none are configured."""
    if settings.assess_extracts_dir is not None:
        return settings
    shared = os.environ.get("RESCITY_SHARED_DIR")
    for candidate in ([Path(shared) / "data" / "osm"] if shared else []) + [
        Path.cwd().parent / "shared" / "data" / "osm"
    ]:
        if candidate.is_dir():
            console.print(f"[green]✓[/] assess: extracts offered from {candidate}")
            return settings.model_copy(update={"assess_extracts_dir": candidate})
    console.print("assess: no extracts configured (RESCITY_ASSESS_EXTRACTS_DIR); upload one")
    return settings


def _demo_data() -> dict[str, Any]:
    text = resources.files("rescity.cli").joinpath("demo_data/places.toml").read_text("utf-8")
    return tomllib.loads(text)


def seed_demo(factory: sessionmaker[Any]) -> list[DemoLogin]:
    data = _demo_data()
    logins = []
    with UnitOfWork(factory) as uow:
        _seed_places(uow.session, data["place"])
        for spec in data["user"]:
            password = secrets.token_urlsafe(9)
            _ensure_user(uow.session, spec, password)
            logins.append(DemoLogin(spec["username"], password, spec["role"]))
        uow.commit()
    return logins


def _seed_places(session: Session, places: list[dict[str, str]]) -> None:
    for spec in places:
        if session.scalar(select(Place.id).where(Place.code == spec["code"])) is not None:
            continue
        parent = get_place(session, spec["parent"]) if spec.get("parent") else None
        add_place(
            session,
            level=PlaceLevel(spec["level"]),
            code=spec["code"],
            name_zh=spec["name_zh"],
            name_en=spec.get("name_en", ""),
            parent=parent,
        )


def _ensure_user(session: Session, spec: dict[str, str], password: str) -> None:
    user = session.scalar(select(User).where(User.username == spec["username"]))
    if user is None:
        user = create_user(
            session,
            username=spec["username"],
            password=password,
            display_name=spec.get("display_name", ""),
        )
        grant_role(session, user, spec["role"], get_place(session, spec["place"]))
    else:
        user.password_hash = hash_password(password)
