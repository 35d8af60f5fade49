"""``rescity user list|show|disable|enable|grant|revoke|revoke-token|reset-password``: the
people administration of :mod:`rescity.core.people` from the command line.

The command line acts as a city administrator over the whole deployment (whoever can run it
can read the database anyway); every change is audited with the actor ``cli``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rescity.cli.context import database, settings_of
from rescity.core.people import directory, services
from rescity.core.people.directory import UserQuery
from rescity.core.security.policy import Grant, Principal, Role
from rescity.core.storage.uow import UnitOfWork

CLI = Principal(user_id=0, username="cli", grants=(Grant(Role.CITY_ADMIN, "/"),))
Username = Annotated[str, typer.Argument(help="The user's username.")]


def _console() -> Console:
    # Piped output (files, tests) gets a wide table instead of Rich's 80-column default.
    return Console(width=None if sys.stdout.isatty() else 200, highlight=False)


def register(user_app: typer.Typer) -> None:
    user_app.command("list")(user_list)
    user_app.command("show")(user_show)
    user_app.command("disable")(user_disable)
    user_app.command("enable")(user_enable)
    user_app.command("grant")(user_grant)
    user_app.command("revoke")(user_revoke)
    user_app.command("revoke-token")(user_revoke_token)
    user_app.command("reset-password")(user_reset_password)


def user_list(
    ctx: typer.Context,
    search: Annotated[str, typer.Option(help="Part of the username or display name.")] = "",
    role: Annotated[str, typer.Option(help="Only users with this role.")] = "",
    place: Annotated[str, typer.Option(help="Only users with a role on this place (code) "
                                            "or below it.")] = "",
    state: Annotated[str, typer.Option(help="active, disabled or all.")] = "all",
    page: Annotated[int, typer.Option(min=1)] = 1,
    per_page: Annotated[int, typer.Option(min=1, max=directory.MAX_PER_PAGE)] = 50,
) -> None:
    """List users by name, role, place and state, a page at a time."""
    if state not in ("active", "disabled", "all"):
        raise typer.BadParameter("active, disabled or all", param_hint="--state")
    _, factory = database(settings_of(ctx))
    with factory() as session:
        found = directory.search(session, CLI, UserQuery(
            text=search, role=role, place=place,
            active={"active": True, "disabled": False}.get(state), page=page,
            per_page=per_page))
        places = directory.places_of(session, found.users)
        table = Table("username", "name", "state", "roles")
        for u in found.users:
            roles = ", ".join(f"{g.role}@{places[g.scope].code if g.scope in places else g.scope}"
                              for g in sorted(u.grants, key=lambda g: g.id))
            table.add_row(u.username, u.display_name, "active" if u.active else "disabled",
                          roles)
    out = _console()
    out.print(table)
    out.print(f"{found.total} users, page {found.page} of {found.pages}")


def user_show(ctx: typer.Context, username: Username) -> None:
    """A user's roles, API tokens and open browser sessions."""
    _, factory = database(settings_of(ctx))
    out = _console()
    with factory() as session:
        d = directory.detail(session, CLI, username)
        state = "active" if d.user.active else "disabled"
        if d.user.must_change_password:
            state += ", must change password"
        out.print(f"{d.user.username} ({d.user.display_name}): {state}")
        grants = Table("grant", "role", "place")
        for g, p in d.grants:
            grants.add_row(str(g.id), g.role, f"{p.code} {p.name_zh}" if p else g.scope)
        out.print(grants)
        tokens = Table("token", "label", "created", "expires")
        for t in d.tokens:
            tokens.add_row(str(t.id), t.label, f"{t.created_at:%Y-%m-%d %H:%M}",
                           f"{t.expires_at:%Y-%m-%d %H:%M}" if t.expires_at else "never")
        out.print(tokens)
        out.print(f"{len(d.sessions)} open browser sessions")


def _uow(ctx: typer.Context) -> UnitOfWork:
    _, factory = database(settings_of(ctx))
    return UnitOfWork(factory)


def user_disable(ctx: typer.Context, username: Username) -> None:
    """Disable a user: their browser sessions end and their API tokens stop working (in a
    running web server within its token cache time, RESCITY_AUTH_CACHE_S)."""
    with _uow(ctx) as uow:
        services.set_active(uow, CLI, username, active=False)
    _console().print(f"{username} disabled")


def user_enable(ctx: typer.Context, username: Username) -> None:
    """Enable a disabled user again."""
    with _uow(ctx) as uow:
        services.set_active(uow, CLI, username, active=True)
    _console().print(f"{username} enabled")


def user_grant(ctx: typer.Context, username: Username,
               role: Annotated[str, typer.Argument(help="A role, e.g. grid_worker.")],
               place: Annotated[str, typer.Argument(help="The place's code.")]) -> None:
    """Grant ROLE on PLACE (and every place below it)."""
    with _uow(ctx) as uow:
        services.grant(uow, CLI, username, role, place)
    _console().print(f"{username}: {role} on {place} granted")


def user_revoke(ctx: typer.Context, username: Username,
                role: Annotated[str, typer.Argument(help="The role to withdraw.")],
                place: Annotated[str, typer.Argument(help="The place's code.")]) -> None:
    """Withdraw ROLE on PLACE."""
    with _uow(ctx) as uow:
        services.withdraw_role(uow, CLI, username, role, place)
    _console().print(f"{username}: {role} on {place} withdrawn")


def user_revoke_token(ctx: typer.Context, username: Username,
                      token_id: Annotated[int, typer.Argument(help="From `user show`.")]
                      ) -> None:
    """Revoke one API token of a user."""
    with _uow(ctx) as uow:
        services.revoke_token(uow, CLI, username, token_id)
    _console().print(f"{username}: token {token_id} revoked")


def user_reset_password(ctx: typer.Context, username: Username) -> None:
    """Set a one-time temporary password (printed once): it signs in only to the password
    change; the user's browser sessions end."""
    with _uow(ctx) as uow:
        password = services.reset_password(uow, CLI, username)
    _console().print(f"temporary password for {username}: {password}")
    _console().print("it signs in once, to choose a new password")
