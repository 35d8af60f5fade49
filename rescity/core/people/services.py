"""The use cases of people administration. Each takes a unit of work and the acting
principal, checks :mod:`rescity.core.people.rules`, writes the change together with its audit
row (kind ``write``, action ``user.*``) and commits; a refusal writes nothing.

Disabling a user ends every browser session of theirs and makes their API tokens fail on the
next request: tokens are checked against ``User.active`` and the per-process token cache is
emptied by any write to users (:mod:`rescity.core.security.token_cache`); another process
(a second web worker) honours it within the cache's lifetime (``RESCITY_AUTH_CACHE_S``).

A password reset sets a random temporary password, shown once to the administrator, ends the
user's browser sessions and marks the account ``must_change_password``: the temporary
password signs in only to the password change page, and cannot obtain API tokens.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rescity.core import audit
from rescity.core.accounts import (
    RoleGrant,
    User,
    WebSession,
    create_user,
    revoke_api_token,
)
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, Problem
from rescity.core.people import rules
from rescity.core.people.directory import account, find_user
from rescity.core.places import Place
from rescity.core.security.passwords import hash_password
from rescity.core.security.policy import Principal, Role
from rescity.core.storage.uow import UnitOfWork


def temporary_password() -> str:
    """16 URL-safe characters (96 random bits): meets the 10-character minimum."""
    return secrets.token_urlsafe(12)


def _place(session: Session, code: str) -> Place:
    place = session.scalar(select(Place).where(Place.code == code))
    if place is None:
        raise InputError([Problem("place", f"no place with code '{code}'")])
    return place


def _record(session: Session, actor: Principal, action: str, user: User, scope: str = "",
            **detail: object) -> None:
    audit.record(session, actor, kind=AuditKind.WRITE, action=action, record_type="user",
                 record_id=user.id, scope=scope, detail={"username": user.username, **detail})


def _end_sessions(session: Session, user_id: int) -> int:
    count = session.scalar(select(func.count()).select_from(WebSession).where(
        WebSession.user_id == user_id)) or 0
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return count


def set_active(uow: UnitOfWork, actor: Principal, username: str, *, active: bool) -> User:
    """Disable (ending their sessions; tokens stop working) or enable a user."""
    s = uow.session
    user = find_user(s, username)
    verb = "enable" if active else "disable"
    rules.require_account(actor, account(user), verb)
    if user.active == active:
        return user
    user.active = active
    ended = 0 if active else _end_sessions(s, user.id)
    s.flush()
    _record(s, actor, f"user.{verb}", user, sessions_ended=ended)
    uow.commit()
    return user


def grant(uow: UnitOfWork, actor: Principal, username: str, role: str, place_code: str
          ) -> RoleGrant:
    s = uow.session
    wanted = rules.parse_role(role)
    user = find_user(s, username)
    place = _place(s, place_code)
    rules.require_role_change(actor, account(user), wanted, place.path, place=place.code)
    if any(g.role == wanted.value and g.place_id == place.id for g in user.grants):
        raise Conflict(f"'{username}' already has the role {wanted.value} on {place.code}")
    row = RoleGrant(user=user, role=wanted.value, place_id=place.id, scope=place.path)
    s.add(row)
    s.flush()
    _record(s, actor, "user.grant", user, scope=place.path, role=wanted.value,
            place=place.code, grant=row.id)
    uow.commit()
    return row


def withdraw(uow: UnitOfWork, actor: Principal, username: str, grant_id: int) -> None:
    s = uow.session
    user = find_user(s, username)
    row = next((g for g in user.grants if g.id == grant_id), None)
    if row is None:
        raise NotFound(f"'{username}' has no role grant {grant_id}")
    place = s.get(Place, row.place_id)
    code = place.code if place else ""
    rules.require_role_change(actor, account(user), Role(row.role), row.scope, place=code,
                              withdraw=True)
    user.grants.remove(row)
    s.flush()
    _record(s, actor, "user.revoke", user, scope=row.scope, role=row.role, place=code,
            grant=grant_id)
    uow.commit()


def find_grant(user: User, role: str, place: Place) -> RoleGrant:
    row = next((g for g in user.grants if g.role == role and g.place_id == place.id), None)
    if row is None:
        raise NotFound(f"'{user.username}' has no role {role} on {place.code}")
    return row


def withdraw_role(uow: UnitOfWork, actor: Principal, username: str, role: str,
                  place_code: str) -> None:
    """:func:`withdraw` by role and place code (for the command line)."""
    rules.parse_role(role)
    user = find_user(uow.session, username)
    withdraw(uow, actor, username, find_grant(user, role, _place(uow.session, place_code)).id)


def reset_password(uow: UnitOfWork, actor: Principal, username: str) -> str:
    """Set and return a one-time temporary password (see the module docstring)."""
    s = uow.session
    user = find_user(s, username)
    rules.require_account(actor, account(user), "reset the password of")
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    ended = _end_sessions(s, user.id)
    s.flush()
    _record(s, actor, "user.reset_password", user, sessions_ended=ended)
    uow.commit()
    return password


def revoke_token(uow: UnitOfWork, actor: Principal, username: str, token_id: int) -> None:
    s = uow.session
    user = find_user(s, username)
    rules.require_account(actor, account(user), "revoke the tokens of")
    revoke_api_token(s, user.id, token_id)
    _record(s, actor, "user.revoke_token", user, token=token_id)
    uow.commit()


def end_sessions(uow: UnitOfWork, actor: Principal, username: str) -> int:
    """Sign the user out of every browser."""
    s = uow.session
    user = find_user(s, username)
    rules.require_account(actor, account(user), "sign out")
    ended = _end_sessions(s, user.id)
    _record(s, actor, "user.end_sessions", user, sessions_ended=ended)
    uow.commit()
    return ended


def add_user(uow: UnitOfWork, actor: Principal, *, username: str, display_name: str,
             role: str, place_code: str, language: str = "zh") -> tuple[User, str]:
    """Create a user with one role on one place and a temporary password (returned once)."""
    s = uow.session
    wanted = rules.parse_role(role)
    place = _place(s, place_code)
    rules.require_grant(actor, wanted, place.path, place=place.code)
    password = temporary_password()
    user = create_user(s, username=username, password=password, display_name=display_name,
                       language=language)
    user.must_change_password = True
    s.add(RoleGrant(user=user, role=wanted.value, place_id=place.id, scope=place.path))
    s.flush()
    _record(s, actor, "user.create", user, scope=place.path, role=wanted.value,
            place=place.code)
    uow.commit()
    return user, password
