"""Core JSON API: health, who am I, API tokens, and the audit log for administrators."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import text

from rescity.core import audit
from rescity.core.accounts import (
    authenticate,
    change_password,
    issue_api_token,
    list_api_tokens,
    revoke_api_token,
)
from rescity.core.audit import AuditKind
from rescity.core.errors import PermissionDenied
from rescity.core.security.policy import Principal
from rescity.web.deps import Ctx, CurrentPrincipal, UoW, allow
from rescity.web.routes.shell import client_key

router = APIRouter(prefix="/api", tags=["core"])
health_router = APIRouter(tags=["core"])


@health_router.get("/health")
def health(ctx: Ctx) -> dict[str, str]:
    with ctx.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "database": ctx.engine.dialect.name}


class GrantPublic(BaseModel):
    role: str
    scope: str


class MePublic(BaseModel):
    id: int
    username: str
    grants: list[GrantPublic]


@router.get("/me")
def me(principal: CurrentPrincipal) -> MePublic:
    return MePublic(
        id=principal.user_id,
        username=principal.username,
        grants=[GrantPublic(role=g.role.value, scope=g.scope) for g in principal.grants],
    )


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)
    label: str = Field(default="", max_length=100)
    days: int = Field(default=30, ge=1, le=365)


class TokenPublic(BaseModel):
    token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in_days: int


@router.post("/tokens")
def create_token(body: TokenRequest, request: Request, ctx: Ctx, uow: UoW) -> TokenPublic:
    """Exchange a username and password for a bearer token (for scripts and devices)."""
    keys = ctx.throttle.attempt(f"user:{body.username.lower()}", client_key(request))
    user = authenticate(uow.session, body.username, body.password)
    ctx.throttle.succeeded(*keys)
    if user.must_change_password:
        raise PermissionDenied("the password is a temporary one: sign in on /account to "
                               "choose a new password first")
    token = issue_api_token(uow.session, user, label=body.label, ttl=timedelta(days=body.days))
    audit.record(
        uow.session,
        None,
        kind=AuditKind.AUTH,
        action="auth.token_issued",
        record_type="user",
        record_id=user.id,
    )
    uow.commit()
    return TokenPublic(token=token, expires_in_days=body.days)


class TokenInfo(BaseModel):
    id: int
    label: str
    created_at: datetime
    expires_at: datetime | None


@router.get("/tokens")
def my_tokens(uow: UoW, principal: CurrentPrincipal) -> list[TokenInfo]:
    """Your API tokens (not their values: a token is shown once, when issued)."""
    return [TokenInfo(id=t.id, label=t.label, created_at=t.created_at, expires_at=t.expires_at)
            for t in list_api_tokens(uow.session, principal.user_id)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, uow: UoW, principal: CurrentPrincipal) -> Response:
    """Revoke one of your tokens at once (a lost phone, a retired script)."""
    revoke_api_token(uow.session, principal.user_id, token_id)
    audit.record(uow.session, principal, kind=AuditKind.AUTH, action="auth.token_revoked",
                 record_type="api_token", record_id=token_id)
    uow.commit()
    return Response(status_code=204)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


@router.post("/me/password", status_code=204)
def new_password(body: PasswordChange, request: Request, ctx: Ctx, uow: UoW,
                 principal: CurrentPrincipal) -> Response:
    """Change your password (the current one is checked, and throttled like a sign-in);
    your browser sessions end."""
    keys = ctx.throttle.attempt(f"user:{principal.username.lower()}", client_key(request))
    change_password(uow.session, principal.user_id, body.current_password, body.new_password)
    ctx.throttle.succeeded(*keys)
    audit.record(uow.session, principal, kind=AuditKind.AUTH, action="auth.password_changed",
                 record_type="user", record_id=principal.user_id)
    uow.commit()
    return Response(status_code=204)


class AuditPublic(BaseModel):
    id: int
    at: datetime
    actor: str
    kind: str
    action: str
    record_type: str
    record_id: str
    scope: str
    purpose: str
    detail: dict[str, Any]


@router.get("/audit")
def audit_log(
    uow: UoW,
    _: Annotated[Principal, Depends(allow("audit.read"))],
    actor: str | None = None,
    kind: AuditKind | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditPublic]:
    rows = audit.query(
        uow.session,
        actor=actor,
        kind=kind,
        record_type=record_type,
        record_id=record_id,
        since=since,
        limit=limit,
    )
    return [AuditPublic.model_validate(r, from_attributes=True) for r in rows]
