"""The read side of people administration: search users within an administrator's reach,
one page at a time, and one user's roles, tokens and browser sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from rescity.core.accounts import ApiToken, RoleGrant, User, WebSession
from rescity.core.errors import InputError, NotFound, PermissionDenied, Problem
from rescity.core.people import rules
from rescity.core.places import Place
from rescity.core.security.policy import Grant, Principal, Role
from rescity.core.storage.db import utcnow

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class UserQuery:
    """A search: ``text`` in the username or display name, a role, a place (its code: grants
    on it or below), active or disabled users; ``page`` counts from 1."""

    text: str = ""
    role: str = ""
    place: str = ""
    active: bool | None = None
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class UserDetail:
    user: User
    grants: list[tuple[RoleGrant, Place | None]]
    tokens: list[ApiToken]
    sessions: list[WebSession]
    manages_account: bool


def account(user: User) -> rules.Account:
    return rules.Account(user.id, user.username,
                         tuple(Grant(Role(g.role), g.scope) for g in user.grants))


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user '{username}'")
    return user


def visible_user(session: Session, actor: Principal, username: str) -> User:
    """The user, 404 when there is none, 403 when the actor may not see them."""
    user = find_user(session, username)
    if not rules.sees(actor, account(user)):
        raise PermissionDenied(f"{actor.username} may not see '{username}': "
                               "the user has no role inside their scope")
    return user


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _in_reach(actor: Principal) -> ColumnElement[bool]:
    scopes = rules.visible_scopes(actor)
    if not scopes:
        raise PermissionDenied(f"{actor.username} does not manage people anywhere")
    granted = exists().where(RoleGrant.user_id == User.id, or_(
        *(RoleGrant.scope.startswith(s, autoescape=True) for s in scopes)))
    if rules.sees_unplaced(actor):
        return or_(granted, ~exists().where(RoleGrant.user_id == User.id))
    return granted


def search(session: Session, actor: Principal, q: UserQuery) -> UserPage:
    problems = []
    if q.page < 1:
        problems.append(Problem("page", "counts from 1"))
    if not 1 <= q.per_page <= MAX_PER_PAGE:
        problems.append(Problem("per_page", f"between 1 and {MAX_PER_PAGE}"))
    if q.role:
        try:
            rules.parse_role(q.role)
        except InputError as exc:
            problems.extend(exc.problems)
    place_path = None
    if q.place:
        place_path = session.scalar(select(Place.path).where(Place.code == q.place))
        if place_path is None:
            problems.append(Problem("place", f"no place with code '{q.place}'"))
    if problems:
        raise InputError(problems, source="search")
    cond: list[ColumnElement[bool]] = [_in_reach(actor)]
    if q.text.strip():
        pattern = _like(q.text.strip())
        cond.append(or_(func.lower(User.username).like(pattern, escape="\\"),
                        func.lower(User.display_name).like(pattern, escape="\\")))
    if q.role or place_path:
        on_grant: list[ColumnElement[bool]] = [RoleGrant.user_id == User.id]
        if q.role:
            on_grant.append(RoleGrant.role == q.role)
        if place_path:
            on_grant.append(RoleGrant.scope.startswith(place_path, autoescape=True))
        cond.append(exists().where(and_(*on_grant)))
    if q.active is not None:
        cond.append(User.active.is_(q.active))
    total = session.scalar(select(func.count()).select_from(User).where(*cond)) or 0
    users = list(session.scalars(
        select(User).where(*cond).order_by(User.username)
        .offset((q.page - 1) * q.per_page).limit(q.per_page)))
    return UserPage(users, total, q.page, q.per_page)


def places_of(session: Session, users: list[User]) -> dict[str, Place]:
    """The places the users' grants are on, by path (to show names, not paths)."""
    paths = {g.scope for u in users for g in u.grants}
    if not paths:
        return {}
    return {p.path: p for p in session.scalars(select(Place).where(Place.path.in_(paths)))}


def detail(session: Session, actor: Principal, username: str) -> UserDetail:
    user = visible_user(session, actor, username)
    places = places_of(session, [user])
    now = utcnow()
    tokens = list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))
    sessions = list(session.scalars(
        select(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at >= now)
        .order_by(WebSession.id)))
    return UserDetail(
        user=user,
        grants=[(g, places.get(g.scope)) for g in sorted(user.grants, key=lambda g: g.id)],
        tokens=tokens,
        sessions=sessions,
        manages_account=rules.manages_account(actor, account(user))
        and user.id != actor.user_id,
    )


def token_expired(token: ApiToken, now: datetime | None = None) -> bool:
    return token.expires_at is not None and token.expires_at < (now or utcnow())
