"""Presence tracing's pages: the staff page (venues, posters, traces) and the visitor's
check-in page, which the venue's QR code opens on any phone's browser.

The check-in page is the same static HTML for everyone: the venue travels in the URL
fragment and the page's script (static/tracing/tracing.js) keeps the check-in in the phone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.community.tracing import services
from rescity.community.tracing.api import Runtime, checkin_url
from rescity.community.tracing.domain import RETENTION_DAYS, VenueKind
from rescity.core.errors import InputError, Problem
from rescity.core.i18n import LANGUAGES, Translator, negotiate, translator
from rescity.core.places import Place
from rescity.core.security.policy import Principal, is_allowed, visible_scopes
from rescity.web.context import LANG_COOKIE
from rescity.web.deps import Ctx, CurrentPrincipal, UoW, allow
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)

# The check-in page computes with libsodium's WebAssembly build; without this CSP source the
# browser refuses to compile it and libsodium falls back to its (slower) asm.js build.
CHECKIN_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
STAYS = (30, 60, 120, 180, 240)
CHECKIN_CACHE_S = 24 * 3600


def kind_labels(t: Translator) -> dict[str, str]:
    labels = {
        VenueKind.SHOP: t("tr.kind.shop"), VenueKind.CLINIC: t("tr.kind.clinic"),
        VenueKind.CANTEEN: t("tr.kind.canteen"), VenueKind.LIFT_LOBBY: t("tr.kind.lift_lobby"),
        VenueKind.OFFICE: t("tr.kind.office"), VenueKind.OTHER: t("tr.kind.other"),
    }
    return {k.value: v for k, v in labels.items()}


def _places(uow: UoW, principal: CurrentPrincipal) -> list[Place]:
    scopes = visible_scopes(principal, "community.venue.create")
    return list(uow.session.scalars(select(Place).where(Place.path.in_(scopes))
                                    .order_by(Place.path)))


@router.get("/community/tracing")
def staff_page(page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
               _: Annotated[Principal | None, Depends(allow("community.venue.read"))],
               done: str = "") -> Response:
    venues = services.list_venues(uow, principal)
    publishable = [v for v in venues
                   if is_allowed(principal, "community.trace.publish", services.venue_target(v))]
    now = rt.now().astimezone(rt.zone).replace(second=0, microsecond=0, tzinfo=None)
    return page.render(
        "community/tracing/staff.html", venues=venues, places=_places(uow, principal),
        kinds=kind_labels(page.t), publishable=publishable,
        traces=services.list_traces(uow, principal), done=done, zone=str(rt.zone),
        now=now.isoformat(timespec="minutes"))


@router.post("/community/tracing/venues")
def register_form(uow: UoW, rt: Runtime, principal: CurrentPrincipal,
                  place: Annotated[int, Form()], name: Annotated[str, Form(max_length=120)],
                  kind: Annotated[str, Form(max_length=20)]) -> Response:
    where = uow.session.get(Place, place)
    if where is None:
        raise InputError([Problem("place", "unknown place")])
    venue, _fragment = services.register_venue(uow, rt, principal, place=where, name=name,
                                               kind=kind)
    return RedirectResponse(f"/community/tracing/venues/{venue.id}/poster", status_code=303)


@router.get("/community/tracing/venues/{venue_id}/poster")
def poster_page(venue_id: int, request: Request, page: Page, uow: UoW, rt: Runtime,
                principal: CurrentPrincipal) -> Response:
    venue, fragment = services.venue_code(uow, rt, principal, venue_id)
    url = checkin_url(request, fragment)
    qr = segno.make(url, error="m").svg_data_uri(scale=8, border=4)
    return page.render("community/tracing/poster.html", venue=venue, qr=qr, url=url,
                       kind=kind_labels(page.t).get(venue.kind, venue.kind),
                       days=RETENTION_DAYS)


def _local(value: str, rt: services.TracingRuntime, field: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=rt.zone)
    except ValueError:
        raise InputError([Problem(field, "a date and time, e.g. 2026-03-02T09:00")]) from None


@router.post("/community/tracing/traces")
def trace_form(uow: UoW, rt: Runtime, principal: CurrentPrincipal,
               venue_id: Annotated[int, Form()], start: Annotated[str, Form(max_length=32)],
               end: Annotated[str, Form(max_length=32)],
               advice: Annotated[str, Form(max_length=1000)]) -> Response:
    services.publish_trace(uow, rt, principal, venue_id=venue_id,
                           start=_local(start, rt, "start"), end=_local(end, rt, "end"),
                           advice=advice)
    return RedirectResponse("/community/tracing?done=traced", status_code=303)


@router.get("/trace")
def checkin_page(request: Request, ctx: Ctx) -> Response:
    """The page a venue's QR code opens: public, identical for every venue and visitor.

    Rendered without the sign-in lookup and without setting any cookie, so that loading it
    neither touches the database nor gives the phone an identifier."""
    chosen = request.cookies.get(LANG_COOKIE)
    lang = chosen if chosen in LANGUAGES else negotiate(
        request.headers.get("accept-language"), ctx.settings.default_language)
    t = translator(lang)
    strings = {
        "stored": t("tr.visit.stored"), "checked_in": t("tr.visit.checked_in"),
        "warning_title": t("tr.visit.warning_title"), "warning_when": t("tr.visit.warning_when"),
        **{f"kind_{k}": v for k, v in kind_labels(t).items()},
    }
    response = ctx.templates.TemplateResponse(request, "community/tracing/visit.html", {
        "t": t, "lang": lang, "principal": None, "display_name": "", "csrf_token": "",
        "can": lambda _action: False, "strings": strings, "stays": STAYS,
        "days": RETENTION_DAYS,
    })
    response.headers["Content-Security-Policy"] = CHECKIN_CSP
    # The same page for every venue: phones keep it, so a later check-in sends nothing.
    response.headers["Cache-Control"] = f"public, max-age={CHECKIN_CACHE_S}"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response
