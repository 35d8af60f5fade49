"""People administration API, ``/api/admin/users``: for city and community administrators.

Every route needs ``user.manage``; which users, roles and places an administrator may touch
is decided in :mod:`rescity.core.people.rules`. Unknown user → 404, out of scope → 403, bad
role or place → 422, a role the user already has → 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, Field

from rescity.community.cases import handlers as handler_staff
from rescity.core.accounts import User
from rescity.core.people import directory, services
from rescity.core.people.directory import UserQuery
from rescity.core.places import Place
from rescity.core.security.policy import Principal
from rescity.web.deps import UoW, allow

router = APIRouter(prefix="/api/admin/users", tags=["people"])
Admin = Annotated[Principal, Depends(allow("user.manage"))]


class GrantOut(BaseModel):
    id: int
    role: str
    place: str
    place_name: str
    scope: str


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    language: str
    active: bool
    must_change_password: bool
    created_at: datetime
    grants: list[GrantOut]


class UserList(BaseModel):
    users: list[UserOut]
    total: int
    page: int
    per_page: int
    pages: int


class TokenOut(BaseModel):
    id: int
    label: str
    created_at: datetime
    expires_at: datetime | None


class SessionOut(BaseModel):
    id: int
    created_at: datetime
    expires_at: datetime


class HandlerLink(BaseModel):
    code: str
    supervises: bool


class UserDetailOut(UserOut):
    tokens: list[TokenOut]
    sessions: list[SessionOut]
    handlers: list[HandlerLink]  # the case handlers the user acts for (or supervises)
    manages_account: bool


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(min_length=1, max_length=32)
    place: str = Field(min_length=1, max_length=64)
    language: str = Field(default="zh", max_length=2)


class UserCreated(BaseModel):
    user: UserOut
    temporary_password: str


class GrantIn(BaseModel):
    role: str = Field(min_length=1, max_length=32)
    place: str = Field(min_length=1, max_length=64)


class PasswordReset(BaseModel):
    temporary_password: str
    must_change_password: bool = True


class SessionsEnded(BaseModel):
    ended: int


def _user_out(user: User, places: dict[str, Place], lang: str = "zh") -> UserOut:
    return UserOut(
        id=user.id, username=user.username, display_name=user.display_name,
        language=user.language, active=user.active,
        must_change_password=user.must_change_password, created_at=user.created_at,
        grants=[GrantOut(id=g.id, role=g.role, scope=g.scope,
                         place=places[g.scope].code if g.scope in places else "",
                         place_name=places[g.scope].name(lang) if g.scope in places else "")
                for g in sorted(user.grants, key=lambda g: g.id)])


def _one(uow: UoW, user: User) -> UserOut:
    uow.session.refresh(user)
    return _user_out(user, directory.places_of(uow.session, [user]))


@router.get("")
def list_users(
    uow: UoW, actor: Admin,
    q: Annotated[str, Query(max_length=100)] = "",
    role: Annotated[str, Query(max_length=32)] = "",
    place: Annotated[str, Query(max_length=64)] = "",
    active: bool | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=directory.MAX_PER_PAGE)] = 50,
) -> UserList:
    """Users within your scope, by username or name (``q``), role, place (code: grants on it
    or below) and state, a page at a time, ordered by username."""
    found = directory.search(uow.session, actor, UserQuery(
        text=q, role=role, place=place, active=active, page=page, per_page=per_page))
    places = directory.places_of(uow.session, found.users)
    return UserList(users=[_user_out(u, places) for u in found.users], total=found.total,
                    page=found.page, per_page=found.per_page, pages=found.pages)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, uow: UoW, actor: Admin) -> UserCreated:
    """A new user with one role on one place; the temporary password is shown once and must
    be changed at the first sign-in."""
    user, password = services.add_user(
        uow, actor, username=body.username, display_name=body.display_name, role=body.role,
        place_code=body.place, language=body.language)
    return UserCreated(user=_one(uow, user), temporary_password=password)


@router.get("/{username}")
def show_user(username: str, uow: UoW, actor: Admin) -> UserDetailOut:
    """One user: roles, API tokens (never their values) and open browser sessions."""
    d = directory.detail(uow.session, actor, username)
    base = _user_out(d.user, {p.path: p for _, p in d.grants if p is not None})
    return UserDetailOut(
        **base.model_dump(),
        tokens=[TokenOut(id=t.id, label=t.label, created_at=t.created_at,
                         expires_at=t.expires_at) for t in d.tokens],
        sessions=[SessionOut(id=s.id, created_at=s.created_at, expires_at=s.expires_at)
                  for s in d.sessions],
        handlers=[HandlerLink(code=h.code, supervises=sup)
                  for h, sup in handler_staff.handlers_of(uow.session, d.user.id)],
        manages_account=d.manages_account)


@router.post("/{username}/disable")
def disable_user(username: str, uow: UoW, actor: Admin) -> UserOut:
    """Disable the account: its browser sessions end and its API tokens stop working."""
    return _one(uow, services.set_active(uow, actor, username, active=False))


@router.post("/{username}/enable")
def enable_user(username: str, uow: UoW, actor: Admin) -> UserOut:
    return _one(uow, services.set_active(uow, actor, username, active=True))


@router.post("/{username}/grants", status_code=status.HTTP_201_CREATED)
def grant_role(username: str, body: GrantIn, uow: UoW, actor: Admin) -> UserOut:
    """Grant a role on a place (by code) inside your scope."""
    row = services.grant(uow, actor, username, body.role, body.place)
    return _one(uow, row.user)


@router.delete("/{username}/grants/{grant_id}", status_code=status.HTTP_204_NO_CONTENT)
def withdraw_role(username: str, grant_id: int, uow: UoW, actor: Admin) -> Response:
    services.withdraw(uow, actor, username, grant_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{username}/password-reset")
def reset_password(username: str, uow: UoW, actor: Admin) -> PasswordReset:
    """A one-time temporary password: it signs in only to the password change."""
    return PasswordReset(temporary_password=services.reset_password(uow, actor, username))


@router.delete("/{username}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(username: str, token_id: int, uow: UoW, actor: Admin) -> Response:
    services.revoke_token(uow, actor, username, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{username}/sessions")
def end_sessions(username: str, uow: UoW, actor: Admin) -> SessionsEnded:
    """Sign the user out of every browser."""
    return SessionsEnded(ended=services.end_sessions(uow, actor, username))
