"""A user's notifications: the live stream (SSE), the JSON list, the page with preferences."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Form, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import func, select

from rescity.core.errors import InputError, NotFound
from rescity.core.notifications.models import Notification
from rescity.core.notifications.outbox import (
    PreferenceInput,
    get_preference,
    mark_read,
    public,
    recent,
    set_preference,
)
from rescity.web.context import AppContext
from rescity.web.deps import CurrentCaller, CurrentPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(tags=["notifications"])
pages = APIRouter(include_in_schema=False)
HEARTBEAT_S = 15.0
# A stream ends after this long; the browser reconnects at once (Last-Event-ID), so nothing
# is missed, and a connection nobody closed cannot live for ever.
STREAM_MAX_S = 3600.0


@router.get("/api/notifications")
def list_notifications(principal: CurrentPrincipal, uow: UoW) -> list[dict[str, object]]:
    """The signed-in user's newest 50 notifications."""
    return [public(n) for n in recent(uow.session, principal.user_id)]


@router.post("/api/notifications/{notification_id}/read", status_code=204)
def read_notification(notification_id: int, principal: CurrentPrincipal, uow: UoW) -> Response:
    if not mark_read(uow.session, principal.user_id, notification_id):
        raise NotFound("no such unread notification")
    uow.commit()
    return Response(status_code=204)


def _newest_id(ctx: AppContext, user_id: int) -> int:
    with ctx.session_factory() as session:
        return int(session.scalar(select(func.max(Notification.id)).where(
            Notification.recipient_user_id == user_id)) or 0)


def _after(ctx: AppContext, user_id: int, after_id: int) -> list[dict[str, object]]:
    with ctx.session_factory() as session:
        return [public(n) for n in recent(session, user_id, after_id=after_id, limit=100)]


# Not in the OpenAPI schema: an endless text/event-stream response has no schema, and
# generated clients (and schema fuzzers) would wait on it for ever.
@router.get("/api/notifications/stream", response_class=StreamingResponse,
            include_in_schema=False)
async def stream(
    request: Request, caller: CurrentCaller,
    last_event_id: Annotated[str | None, Header()] = None, after: int | None = None,
) -> StreamingResponse:
    """Server-Sent Events: each new notification of the signed-in user as one ``notification``
    event (JSON, ``id`` = notification id). Browsers reconnect with ``Last-Event-ID`` and miss
    nothing; without it (or ``?after=ID``) the stream starts with what arrives from now on."""
    ctx, user_id = caller.ctx, caller.principal.user_id
    if last_event_id and last_event_id.isdigit():
        start = int(last_event_id)
    elif after is not None:
        start = max(after, 0)
    else:
        start = await run_in_threadpool(_newest_id, ctx, user_id)
    poll = ctx.settings.notify_sse_poll_s

    async def events() -> AsyncIterator[str]:
        last, quiet = start, 0.0
        ends = asyncio.get_running_loop().time() + STREAM_MAX_S
        yield f"retry: {int(poll * 1000) + 1000}\n: connected\n\n"
        while not await request.is_disconnected() and asyncio.get_running_loop().time() < ends:
            found = await run_in_threadpool(_after, ctx, user_id, last)
            for item in found:
                last = int(str(item["id"]))
                data = json.dumps(item, ensure_ascii=False)
                yield f"id: {last}\nevent: notification\ndata: {data}\n\n"
            quiet = 0.0 if found else quiet + poll
            if quiet >= HEARTBEAT_S:
                quiet = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(poll)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no"})


@pages.get("/notifications")
def notifications_page(page: Page, principal: CurrentPrincipal, uow: UoW, saved: bool = False
                       ) -> Response:
    return _render(page, uow, principal.user_id, saved=saved)


def _render(page: Page, uow: UoW, user_id: int, *, problems: list[dict[str, str]] | None = None,
            status_code: int = 200, saved: bool = False) -> Response:
    items = recent(uow.session, user_id)
    return page.render(
        "notifications.html", status_code=status_code, items=items,
        newest=max((n.id for n in items), default=0),
        pref=get_preference(uow.session, user_id),
        robots=sorted(page.ctx.settings.notify_webhooks), problems=problems or [],
        saved=saved)


@pages.post("/notifications/preferences")
def save_preferences(
    page: Page, principal: CurrentPrincipal, uow: UoW,
    email: Annotated[str, Form(max_length=254)] = "",
    email_enabled: Annotated[bool, Form()] = False,
    webhooks: Annotated[list[str] | None, Form()] = None,
    quiet_start: Annotated[str, Form(max_length=5)] = "",
    quiet_end: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    value = PreferenceInput(email=email, email_enabled=email_enabled,
                            webhooks=tuple(webhooks or ()), quiet_start=quiet_start,
                            quiet_end=quiet_end)
    try:
        set_preference(uow.session, principal.user_id, value,
                       known_webhooks=set(page.ctx.settings.notify_webhooks))
    except InputError as exc:
        uow.rollback()
        problems = [{"where": p.where, "message": p.message} for p in exc.problems]
        return _render(page, uow, principal.user_id, problems=problems, status_code=422)
    uow.commit()
    return RedirectResponse("/notifications?saved=1", status_code=303)
