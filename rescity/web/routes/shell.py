"""Home, sign-in, sign-out and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.core import audit
from rescity.core.accounts import authenticate, close_web_session, open_web_session
from rescity.core.audit import AuditKind
from rescity.core.errors import AuthenticationRequired, TooManyRequests
from rescity.core.places import Place
from rescity.web.context import LANG_COOKIE, SESSION_COOKIE
from rescity.web.deps import AuthDep, Ctx, CurrentPrincipal, UoW
from rescity.web.pages import Page, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(page: Page, uow: UoW, signed_out: int = 0) -> Response:
    principal = page.auth.principal
    scopes = {g.scope for g in principal.grants} if principal else set()
    # Role scopes by place name ("真北社区 Zhenbei Community"), not by path ("/1/4/").
    places = {p.path: p for p in uow.session.scalars(select(Place).where(Place.path.in_(scopes)))}
    return page.render("home.html", signed_out=bool(signed_out), places=places)


@router.get("/login")
def login_form(page: Page, next: str = "/") -> Response:
    return page.render("login.html", next=safe_next(next), error="")


def client_key(request: Request) -> str:
    return f"ip:{request.client.host if request.client else 'unknown'}"


@router.post("/login")
def login(
    request: Request,
    page: Page,
    ctx: Ctx,
    uow: UoW,
    _auth: AuthDep,  # checks the CSRF double-submit cookie
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    username = username.strip()
    target = safe_next(next)
    if not username or not password:
        return page.render(
            "login.html", status_code=422, next=target, error=page.t("login.missing")
        )
    try:
        keys = ctx.throttle.attempt(f"user:{username.lower()}", client_key(request))
        user = authenticate(uow.session, username, password)
    except TooManyRequests as exc:
        return page.render(
            "login.html",
            status_code=429,
            next=target,
            error=page.t("login.throttled", seconds=exc.retry_after),
        )
    except AuthenticationRequired:
        audit.record(
            uow.session,
            None,
            kind=AuditKind.AUTH,
            action="auth.login_failed",
            detail={"username": username[:64]},
        )
        uow.commit()
        return page.render("login.html", status_code=401, next=target, error=page.t("login.failed"))
    ctx.throttle.succeeded(*keys)
    secret, _csrf = open_web_session(uow.session, user, max_age_s=ctx.settings.session_max_age_s)
    audit.record(
        uow.session,
        None,
        kind=AuditKind.AUTH,
        action="auth.login",
        record_type="user",
        record_id=user.id,
        detail={"username": user.username},
    )
    uow.commit()
    if user.must_change_password:  # a temporary password: straight to choosing a new one
        target = "/account?must_change=1"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=ctx.settings.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
    )
    return response


@router.post("/logout")
def logout(request: Request, uow: UoW, principal: CurrentPrincipal) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        close_web_session(uow.session, secret)
        audit.record(uow.session, principal, kind=AuditKind.AUTH, action="auth.logout")
        uow.commit()
    response = RedirectResponse("/?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def switch_language(code: str, ctx: Ctx, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in ("zh", "en"):
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 86400,
            samesite="lax",
            secure=ctx.settings.cookie_secure,
        )
    return response
