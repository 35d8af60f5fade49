"""Administration commands: database migrations, users, the audit log, the web server."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rescity.cli import people
from rescity.cli.context import database, settings_of
from rescity.core import audit as audit_log
from rescity.core.accounts import create_user, grant_role
from rescity.core.audit import AuditKind
from rescity.core.places import get_place
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine
from rescity.core.storage.uow import UnitOfWork

console = Console()
db_app = typer.Typer(
    help="Database schema migrations.", no_args_is_help=True, rich_markup_mode=None
)
user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True, rich_markup_mode=None)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    people.register(user_app)
    app.command("serve")(serve)
    app.command("audit")(audit)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: str = "heads") -> None:
    """Create or update the schema (all modules) to the newest version."""
    settings = settings_of(ctx)
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine, revision)
    console.print(
        f"database at {engine.url.render_as_string(hide_password=True)}: "
        f"{', '.join(sorted(migrate.current(engine)))}"
    )


@db_app.command("downgrade")
def db_downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' removes every table.")],
) -> None:
    """Undo migrations down to REVISION."""
    engine = make_engine(settings_of(ctx).resolved_database_url)
    migrate.downgrade(engine, revision)
    console.print(f"now at: {', '.join(sorted(migrate.current(engine))) or 'base (empty)'}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema version and whether it is up to date."""
    engine = make_engine(settings_of(ctx).resolved_database_url)
    state = "up to date" if migrate.is_up_to_date(engine) else "needs `rescity db upgrade`"
    console.print(f"{', '.join(sorted(migrate.current(engine))) or 'empty'} ({state})")


@user_app.command("create")
def user_create(
    ctx: typer.Context,
    username: str,
    role: Annotated[list[str] | None, typer.Option(help="Role to grant (repeatable).")] = None,
    place: Annotated[str | None, typer.Option(help="Place code the roles cover.")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (else asked for; RESCITY_NEW_PASSWORD also works).",
            envvar="RESCITY_NEW_PASSWORD",
        ),
    ] = None,
    language: str = "zh",
) -> None:
    """Create a user, optionally granting roles on a place."""
    settings = settings_of(ctx)
    _, factory = database(settings)
    if password is None:
        password = getpass.getpass("password: ")
    with UnitOfWork(factory) as uow:
        user = create_user(uow.session, username=username, password=password, language=language)
        if role:
            if place is None:
                raise typer.BadParameter("--place is needed with --role")
            where = get_place(uow.session, place)
            for r in role:
                grant_role(uow.session, user, r, where)
        audit_log.record(
            uow.session,
            None,
            kind=AuditKind.WRITE,
            action="user.create",
            record_type="user",
            record_id=user.id,
            detail={"by": "cli"},
        )
        uow.commit()
    console.print(f"created user [bold]{username}[/] with roles {role or []}")


def audit(
    ctx: typer.Context,
    actor: Annotated[str | None, typer.Option(help="Only this user.")] = None,
    kind: Annotated[AuditKind | None, typer.Option(help="write, read or auth.")] = None,
    limit: int = 50,
) -> None:
    """Show the newest audit-log entries."""
    _, factory = database(settings_of(ctx))
    with factory() as session:
        rows = audit_log.query(session, actor=actor, kind=kind, limit=limit)
    table = Table("id", "at", "actor", "kind", "action", "record", "scope", "purpose")
    for r in rows:
        table.add_row(
            str(r.id),
            r.at.strftime("%Y-%m-%d %H:%M:%S"),
            r.actor,
            r.kind,
            r.action,
            f"{r.record_type} {r.record_id}".strip(),
            r.scope,
            r.purpose,
        )
    # Piped output (files, tests) gets a wide table instead of Rich's 80-column default.
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default from settings).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
) -> None:
    """Run the web app (API at /api, OpenAPI at /docs)."""
    import gc

    import uvicorn

    from rescity.web.app import create_app
    from rescity.web.modules import warm_up

    settings = settings_of(ctx)
    database(settings)
    app = create_app(settings)
    warm_up()
    # The imports, the app and the modules' dictionaries make a heap of ~300,000 objects that
    # live as long as the process; a full garbage collection scans them all (150 ms on a
    # small machine), stalling every request in flight. Frozen, they are left out of every
    # collection.
    gc.freeze()
    uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level="info")
