"""Users, role grants on places, API tokens and browser sessions.

Tokens and session ids are random 256-bit values; only their SHA-256 is stored, so a copy of
the database does not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from rescity.core.errors import AuthenticationRequired, InputError, NotFound, Problem
from rescity.core.places import Place
from rescity.core.security import token_cache
from rescity.core.security.passwords import dummy_verify, hash_password, verify_password
from rescity.core.security.policy import Grant, Principal, Role
from rescity.core.storage.db import Base, UTCDateTime, utcnow

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="zh")
    active: Mapped[bool] = mapped_column(default=True)
    # Set by an administrator's password reset: the temporary password signs in once, to the
    # password change (rescity.core.people.services.reset_password).
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class RoleGrant(Base):
    __tablename__ = "role_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(400))  # the place's path, copied for fast checks

    user: Mapped[User] = relationship(back_populates="grants")


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Writes to these empty the per-process API token caches (see token_cache).
token_cache.watch(User, RoleGrant, ApiToken)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


token_digest = _digest


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        grants=tuple(Grant(Role(g.role), g.scope) for g in user.grants),
    )


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    display_name: str = "",
    language: str = "zh",
) -> User:
    problems = []
    if not USERNAME_RE.match(username):
        problems.append(Problem("username", "3–64 letters, digits or . _ @ -"))
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(Problem("username", f"'{username}' is taken"))
    if language not in ("zh", "en"):
        problems.append(Problem("language", "must be 'zh' or 'en'"))
    if problems:
        raise InputError(problems, source="user")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def grant_role(session: Session, user: User, role: Role | str, place: Place) -> RoleGrant:
    try:
        role = Role(role)
    except ValueError:
        raise InputError(
            [Problem("role", f"unknown role '{role}'; one of {', '.join(r.value for r in Role)}")]
        ) from None
    grant = RoleGrant(user=user, role=role.value, place_id=place.id, scope=place.path)
    session.add(grant)
    session.flush()
    return grant


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user '{username}'")
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """The user, or AuthenticationRequired with one message whatever was wrong."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        dummy_verify()
        raise AuthenticationRequired("wrong username or password")
    if not verify_password(user.password_hash, password):
        raise AuthenticationRequired("wrong username or password")
    return user


def issue_api_token(
    session: Session, user: User, *, label: str = "", ttl: timedelta | None = None
) -> str:
    token = "rc_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_digest(token),
            label=label,
            expires_at=utcnow() + ttl if ttl else None,
        )
    )
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user an unexpired token belongs to, in one query (plus their grants)."""
    return session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == _digest(token),
            User.active.is_(True),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at >= utcnow()),
        )
    )


def token_owner(session: Session, token: str) -> tuple[User, datetime | None] | None:
    """Like :func:`user_for_token`, with the token's expiry (for caching no longer than it)."""
    row = session.execute(
        select(User, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == _digest(token),
            User.active.is_(True),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at >= utcnow()),
        )
    ).first()
    return None if row is None else (row[0], row[1])


def open_web_session(session: Session, user: User, *, max_age_s: int) -> tuple[str, str]:
    """Start a browser session; returns (session secret for the cookie, CSRF token)."""
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    session.add(
        WebSession(
            user_id=user.id,
            session_hash=_digest(secret),
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(seconds=max_age_s),
        )
    )
    session.flush()
    return secret, csrf


def find_web_session(session: Session, secret: str) -> WebSession | None:
    row = session.scalar(select(WebSession).where(WebSession.session_hash == _digest(secret)))
    if row is None or row.expires_at < utcnow():
        return None
    return row


def close_web_session(session: Session, secret: str) -> None:
    session.execute(delete(WebSession).where(WebSession.session_hash == _digest(secret)))


def list_api_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's own tokens (their hashes only: a token is shown once, when issued)."""
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_api_token(session: Session, user_id: int, token_id: int) -> None:
    """Delete one of the user's tokens; someone else's answers as missing."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"no token {token_id}")
    session.delete(row)
    session.flush()


def change_password(session: Session, user_id: int, current: str, new: str) -> None:
    """Set a new password after checking the current one; every browser session of the user
    ends (API tokens stay: list and revoke them separately)."""
    user = session.get(User, user_id)
    if user is None or not verify_password(user.password_hash, current):
        raise AuthenticationRequired("the current password is wrong")
    problems = []
    if len(new) < 10:
        problems.append(Problem("new_password", "at least 10 characters"))
    elif new == current:
        problems.append(Problem("new_password", "differs from the current one"))
    if problems:
        raise InputError(problems, source="password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
