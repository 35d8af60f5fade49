"""FastAPI dependencies: the unit of work, who is asking, and the one authorization gate.

Routes never check roles themselves: they declare ``Depends(allow("action"))`` for actions not
tied to a record, and services call :func:`rescity.core.security.policy.require` with the
record's :class:`Target` for record-level decisions. Both end in the same policy function.

Cookie-authenticated unsafe requests must carry the CSRF token (form field ``csrf_token`` or
header ``X-CSRF-Token``); bearer-token requests are exempt because browsers never attach
them by themselves.
"""

from __future__ import annotations

import asyncio
import hmac
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from rescity.core.accounts import User, find_web_session, principal_of, token_digest, token_owner
from rescity.core.errors import AuthenticationRequired, PermissionDenied
from rescity.core.i18n import Translator, negotiate, translator
from rescity.core.security.policy import NOWHERE, Principal, is_allowed, require
from rescity.core.storage.db import utcnow
from rescity.core.storage.flows import Flow, run_flow
from rescity.core.storage.uow import UnitOfWork
from rescity.web.context import CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE, AppContext

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CSRFError(PermissionDenied):
    pass


async def get_ctx(request: Request) -> AppContext:
    # Dependencies without I/O are ``async def``: FastAPI runs plain ``def`` ones in the
    # threadpool, a thread hop per dependency per request for nothing.
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def get_uow(ctx: Ctx) -> AsyncIterator[UnitOfWork]:
    """A unit of work for the request. Opening a session does no I/O, and closing one that
    has committed (or never touched the database) does none either, so both happen on the
    event loop without two thread hops per request; closing a session still in a
    transaction (rollback: database work) goes to the threadpool."""
    uow = UnitOfWork(ctx.session_factory).__enter__()
    try:
        yield uow
    finally:
        if uow.session.in_transaction():
            await run_in_threadpool(uow.__exit__, None, None, None)
        else:
            uow.__exit__(None, None, None)


UoW = Annotated[UnitOfWork, Depends(get_uow)]

R = TypeVar("R")


def app_singleton(request: Request, key: str, create: Callable[[], R]) -> R:
    """One object per app (a module's runtime), built on first use and kept on ``app.state``
    under ``key``, so that tests can put their own there (a controlled clock, fixed noise)."""
    found: R | None = getattr(request.app.state, key, None)
    if found is None:
        found = create()
        setattr(request.app.state, key, found)
    return found

# Threads for the database work of the hottest endpoints on SQLite (see run_submission): as many as
# the engine's pool holds connections (rescity.core.storage.db), so none waits for one.
BLOCKING_THREADS = 10
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _blocking_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(BLOCKING_THREADS, thread_name_prefix="rescity-db")
    return _executor


async def run_submission(ctx: AppContext, flow: Flow[R]) -> R:
    """Run a flow (:mod:`rescity.core.storage.flows`) for an ``async def`` endpoint and
    return its value: on PostgreSQL on this event loop with asyncpg (no thread, see
    :mod:`rescity.core.storage.aio`); on SQLite in a database thread, on a fresh unit of
    work (one plain executor hop, not Starlette's threadpool with its capacity limiter and
    cancel scope). Either way one transaction, committed by the flow, else rolled back.
    """
    if ctx.pg_flows is not None:
        return await ctx.pg_flows.run(flow)

    def run() -> R:
        with UnitOfWork(ctx.session_factory) as uow:
            return run_flow(uow.session, flow)

    return await asyncio.get_running_loop().run_in_executor(_blocking_executor(), run)


@dataclass(frozen=True)
class Auth:
    principal: Principal | None
    via: str | None  # "token", "session" or None
    csrf_token: str
    display_name: str = ""
    language: str | None = None


async def get_auth(request: Request, ctx: Ctx) -> Auth:
    cached: Auth | None = getattr(request.state, "auth", None)
    if cached is not None:
        return cached
    auth = _cached_token_auth(request, ctx)
    if auth is None:
        # Database work off the event loop, so one slow query does not stall every request.
        auth = await run_in_threadpool(_resolve, request, ctx)
    if auth.via == "session" and request.method not in SAFE_METHODS:
        await _check_csrf(request, auth.csrf_token)
    elif auth.via is None and request.method not in SAFE_METHODS:
        # Anonymous forms (sign-in) use a double-submit cookie.
        await _check_csrf(request, request.cookies.get(CSRF_COOKIE, ""))
    request.state.auth = auth
    return auth


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _cached_token_auth(request: Request, ctx: AppContext) -> Auth | None:
    """A bearer token's Auth from the short per-process cache (no database, no thread hop)."""
    token = _bearer(request)
    if token is None or not ctx.tokens.enabled:
        return None
    cached: Auth | None = ctx.tokens.get(token_digest(token), utcnow())
    return cached


def _resolve(request: Request, ctx: Ctx) -> Auth:
    token = _bearer(request)
    with ctx.session_factory() as session:
        if token is not None:
            found = token_owner(session, token)
            if found is None:
                raise AuthenticationRequired("invalid or expired API token")
            user, expires_at = found
            auth = _auth_for(user, "token", "")
            ctx.tokens.put(token_digest(token), auth, expires_at)
            return auth
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            row = find_web_session(session, secret)
            if row is not None:
                user = session.get(User, row.user_id)
                if user is not None and user.active:
                    auth = _auth_for(user, "session", row.csrf_token)
                    if user.must_change_password:
                        # Signed in with a temporary password: no roles until it is changed
                        # (the account page is open to every signed-in user).
                        auth = Auth(Principal(user.id, user.username), "session",
                                    row.csrf_token, user.display_name, user.language)
                    return auth
    return Auth(principal=None, via=None, csrf_token=request.cookies.get(CSRF_COOKIE, ""))


def _auth_for(user: User, via: str, csrf: str) -> Auth:
    return Auth(principal_of(user), via, csrf, user.display_name, user.language)


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token", "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token", "")
        sent = value if isinstance(value, str) else ""
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise CSRFError("missing or wrong CSRF token")


AuthDep = Annotated[Auth, Depends(get_auth)]


async def optional_principal(auth: AuthDep) -> Principal | None:
    return auth.principal


async def current_principal(auth: AuthDep) -> Principal:
    if auth.principal is None:
        raise AuthenticationRequired("sign in first")
    return auth.principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


@dataclass(frozen=True)
class Caller:
    ctx: AppContext
    principal: Principal


async def get_caller(request: Request) -> Caller:
    """The app context and the signed-in principal as one dependency, for the hottest
    endpoints: FastAPI solves every dependency of a route on every request, so ``Ctx`` plus
    ``CurrentPrincipal`` (four dependencies) cost several times this one. Same rules:
    :func:`get_auth` (bearer token, or session cookie plus CSRF), 401 when nobody is signed in.
    """
    ctx: AppContext = request.app.state.ctx
    return Caller(ctx, await current_principal(await get_auth(request, ctx)))


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def allow(action: str) -> Callable[..., Any]:
    """Dependency: the principal, if the policy lets them do ``action`` (not record-bound)."""

    async def dependency(auth: AuthDep) -> Principal | None:
        if auth.principal is None and not is_allowed(None, action, NOWHERE):
            raise AuthenticationRequired("sign in first")
        require(auth.principal, action, NOWHERE)
        return auth.principal

    # Which action a route needs, for the navigation test (every page a role may use is
    # linked from somewhere it can reach).
    dependency.action = action  # type: ignore[attr-defined]
    return dependency


async def get_language(request: Request, ctx: Ctx, auth: AuthDep) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in ("zh", "en"):
        return chosen
    if auth.language in ("zh", "en"):
        return auth.language
    return negotiate(request.headers.get("accept-language"), ctx.settings.default_language)


Language = Annotated[str, Depends(get_language)]


def get_translator(lang: Language) -> Translator:
    return translator(lang)


T = Annotated[Translator, Depends(get_translator)]
