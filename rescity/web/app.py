"""The FastAPI application factory: one app for the JSON API and the server-rendered pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rescity.core.config import Settings
from rescity.core.errors import (
    AuthenticationRequired,
    InputError,
    RescityError,
    TooManyRequests,
)
from rescity.core.i18n import negotiate, translator
from rescity.web.bounded import bounded_integers
from rescity.web.context import WEB_DIR, AppContext
from rescity.web.json_guard import JsonGuard
from rescity.web.limits import BodySizeLimit
from rescity.web.modules import priority_routers, routers
from rescity.web.routes import (
    admin,
    admin_notifications,
    admin_places,
    api,
    docs,
    notifications,
    people,
    people_api,
    shell,
)

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)

# The pages use no camera or microphone. The browser's location only on this site's own pages,
# and only when the user presses "use my location" on the report and help forms (check-ins
# carry no location).
PERMISSIONS = ("camera=(), microphone=(), geolocation=(self), payment=(), usb=(), "
               "interest-cohort=()")


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    ctx = AppContext.create(settings, engine=engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if ctx.pg_flows is not None:
            await ctx.pg_flows.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="rescity",
        version="0.1.0",
        description="Resilient, socially integrative cities: assess, community, knowledge.",
        docs_url=None,  # served by routes/docs.py from local assets
        redoc_url=None,
        dependencies=[Depends(bounded_integers)],
        # rescity exports no OpenTelemetry; left on, FastAPI asks the global providers
        # whether to trace on every request (~6 % of a check-in's time).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.ctx = ctx
    static = WEB_DIR / "static"
    if not (static / "vendor" / "pico.min.css").exists():
        log.warning("front-end assets missing: run `npm ci` and scripts/setup.sh (vendor CSS)")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    # Routes are matched in order: the high-rate submission routes (check-ins, gate scans)
    # come first; their paths (/api/<module>/…) match nothing else.
    for router in (*priority_routers(), shell.router, api.health_router, api.router,
                   admin.router, admin_places.router, admin_notifications.router,
                   notifications.router, notifications.pages, docs.router, people_api.router,
                   people.router, *routers()):
        app.include_router(router)

    _install_handlers(app)
    app.add_middleware(SecurityHeaders, production=settings.environment == "production")
    app.add_middleware(JsonGuard)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes,
                       max_upload_bytes=settings.max_upload_bytes)
    return app


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _wants_html(request: Request) -> bool:
    """A browser's request: it accepts HTML, or it posts a form from a page without asking
    for JSON (some phone browsers and in-app web views send ``Accept: */*``)."""
    if request.url.path.startswith(("/api/", "/open311/")):
        return False
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        return True
    form = request.headers.get("content-type", "").split(";")[0].strip() in FORM_TYPES
    return form and "application/json" not in accept


def _is_page(request: Request) -> bool:
    """A request for a page (answer errors with a page): a browser's, or any under /kb."""
    return _wants_html(request) or request.url.path.startswith("/kb")


def _html_error(
    request: Request, status: int, message: str | None, *,
    problems: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None,
) -> Response:
    """The error page a browser gets instead of JSON, in the visitor's language."""
    ctx: AppContext = request.app.state.ctx
    lang = request.cookies.get("rescity_lang") or negotiate(
        request.headers.get("accept-language"), ctx.settings.default_language)
    lang = lang if lang in ("zh", "en") else "zh"
    t = translator(lang)
    key = {403: "error.forbidden", 404: "error.not_found", 405: "error.method",
           422: "error.invalid"}.get(status)
    return ctx.templates.TemplateResponse(
        request,
        "error.html",
        {
            "t": t,
            "lang": lang,
            "principal": None,
            "csrf_token": "",
            "message": message or (t(key) if key else str(status)),
            "problems": problems or [],
            "can": lambda _a: False,
            "display_name": "",
        },
        status_code=status,
        headers=headers,
    )


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RescityError)
    async def rescity_error(request: Request, exc: RescityError) -> Response:
        if isinstance(exc, AuthenticationRequired) and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        headers = {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, AuthenticationRequired):
            headers["WWW-Authenticate"] = "Bearer"
        if _is_page(request):
            # Each problem names its field; the page lists them under a translated heading.
            problems = [{"where": p.where, "message": p.message}
                        for p in exc.problems] if isinstance(exc, InputError) else None
            generic = exc.status_code in (403, 404) or bool(problems)
            return _html_error(request, exc.status_code, None if generic else str(exc),
                               problems=problems, headers=headers)
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Unknown paths and methods: a page for browsers, FastAPI's JSON for everyone else.
        if _wants_html(request) and exc.status_code in (404, 405):
            return _html_error(request, exc.status_code, None, headers=dict(exc.headers or {}))
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        if _is_page(request):
            return _html_error(request, 422, None, problems=problems)
        return JSONResponse(
            {"error": "InputError", "message": "invalid request", "problems": problems},
            status_code=422,
        )


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers without Starlette's per-request task overhead."""

    def __init__(self, app: ASGIApp, *, production: bool = False) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Personal data must not stay in shared or browser caches: only static files may.
        cacheable = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Content-Security-Policy", CSP)
                if not cacheable:
                    headers.setdefault("Cache-Control", "no-store")
                headers.setdefault("Permissions-Policy", PERMISSIONS)
                if self.production:
                    headers.setdefault("Strict-Transport-Security",
                                       "max-age=31536000; includeSubDomains")
            await send(message)

        await self.app(scope, receive, send_with_headers)
