"""Core JSON API: health, who am I, API tokens, and the audit log for administrators."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from rescity.core import audit
from rescity.core.accounts import authenticate, issue_api_token
from rescity.core.audit import AuditKind
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
