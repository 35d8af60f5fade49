"""`rescity demo`: the main job on the embedded default, from nothing to a running web app.

It creates (or updates) the SQLite database, a demo city hierarchy and demo users, loads what
each module contributes, then serves the web app on localhost. The port is taken before
anything is set up, and the URL is printed only once the server answers on it: a URL on the
screen always leads to this app. Running it again is safe: places and users are kept, and the
demo passwords are the ones kept in ``<data_dir>/demo-logins.json``.
"""

from __future__ import annotations

import errno
import os
import socket
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
from rescity.core.demo_logins import demo_password, logins_file
from rescity.core.places import Place, PlaceLevel, add_place, get_place
from rescity.core.security.passwords import hash_password
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork

console = Console()
err = Console(stderr=True)
# With the default port taken, the next few are tried before one the system picks.
FALLBACK_PORTS = 10


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
    port: Annotated[
        int | None,
        typer.Option(help="Port (default from settings, 8000; if that one is busy, a free one)."),
    ] = None,
) -> None:
    """Set up the demo database and serve the web app on localhost."""
    settings = settings_of(ctx)
    engine = make_engine(settings.resolved_database_url)
    # soft_wrap: a path broken over two lines cannot be copied (nor matched by scripts)
    console.print(f"database: {engine.url.render_as_string(hide_password=True)}",
                  markup=False, soft_wrap=True)
    listener = _listen(settings, port) if serve else None
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    logins = seed_demo(factory, settings)
    from rescity.cli.modules import demo_loaders

    for name, loader in demo_loaders():
        with console.status(f"loading {name} demo data…"):
            summary = loader(settings, factory)
        console.print(f"[green]✓[/] {name}: {summary}")

    settings = _with_demo_extracts(settings)
    table = Table("username", "password", "role", title="demo logins")
    for login in logins:
        table.add_row(login.username, login.password, login.role)
    console.print(table)
    console.print(f"the same passwords every start; they are kept in {logins_file(settings)}",
                  markup=False, soft_wrap=True)
    if listener is None:
        console.print("set up; serve it with `rescity demo` (or `rescity serve`)")
        return
    _serve(settings, engine, listener)


def _serve(settings: Settings, engine: Any, listener: socket.socket) -> None:
    import uvicorn

    from rescity.web.app import create_app

    host, port = listener.getsockname()[:2]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    class AnnouncingServer(uvicorn.Server):
        """Prints the URL once the server is up, never before."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                console.print(f"web app: [bold]{url}[/]  (API docs at {url}docs; "
                              "stop with Ctrl+C)")

    config = uvicorn.Config(create_app(settings, engine=engine), host=host, port=port,
                            log_level="warning")
    AnnouncingServer(config).run(sockets=[listener])


def _listen(settings: Settings, port: int | None) -> socket.socket:
    """A listening socket on the demo port, taken before anything else is done.

    A port asked for (``--port``, ``RESCITY_PORT`` or the config file) must be free, or the
    demo stops naming it; with the default port busy the demo moves to a free one and says so.
    """
    wanted = port or settings.port
    asked = port is not None or "port" in settings.model_fields_set
    candidates = [wanted] if asked else [*range(wanted, wanted + FALLBACK_PORTS), 0]
    for candidate in candidates:
        try:
            listener = _bind(settings.host, candidate)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or asked:
                err.print(
                    f"[bold red]error:[/] cannot listen on {settings.host}:{candidate}: "
                    f"{exc.strerror or exc}. Another program may be using port {candidate}; "
                    "choose another one with --port, e.g. `rescity demo --port 8080`.",
                    soft_wrap=True,
                )
                raise typer.Exit(2) from None
            continue
        if candidate != wanted:
            console.print(f"port {wanted} is in use by another program; serving on port "
                          f"{listener.getsockname()[1]} instead (choose one with --port)")
        return listener
    raise AssertionError("port 0 always binds")  # pragma: no cover


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As uvicorn does: a port left in TIME_WAIT by a previous run is free again.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


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


def seed_demo(factory: sessionmaker[Any], settings: Settings) -> list[DemoLogin]:
    data = _demo_data()
    logins = []
    with UnitOfWork(factory) as uow:
        _seed_places(uow.session, data["place"])
        _seed_boundaries(uow.session)
        for spec in data["user"]:
            password = demo_password(settings, spec["username"])
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


def _seed_boundaries(session: Session) -> None:
    """Schematic boxes around the demo places (roughly where Zhenru lies, not surveyed
    boundaries), so the places map and `rescity places locate` have something to show."""
    from rescity.core.boundaries.importer import import_places
    from rescity.core.boundaries.sources import parse_geojson

    text = resources.files("rescity.cli").joinpath("demo_data/boundaries.json").read_text(
        "utf-8")
    import_places(session, parse_geojson(text, source="demo boundaries"))


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
