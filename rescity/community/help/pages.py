"""Help request pages: ask for help, the matching run, the requester's and volunteer's
steps, and a volunteer's open offers (forms answered with post/redirect/get)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response
from sqlalchemy import or_, select

from rescity.community.cases.deps import Runtime
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help import matching_run as help_matching_run
from rescity.community.help import services as help_requests
from rescity.community.help import volunteer_pages, volunteers
from rescity.community.help.adapters import HelpOffer, HelpRequest
from rescity.community.help.domain import OfferState, help_rules
from rescity.community.help.unmatched import unmatched_reason
from rescity.community.shared.deps import back, grant_place_ids
from rescity.community.shared.forms import refuse_nul
from rescity.community.shared.location import form_point, place_of_point
from rescity.core.errors import InputError, Problem
from rescity.core.places import Place
from rescity.core.security.policy import Principal, is_allowed, require, visible_scopes
from rescity.web.deps import CurrentPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)
router.include_router(volunteer_pages.router)

@router.get("/community/help")
def help_page(page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
              done: str = "") -> Response:
    return _help_page(page, uow, rt, principal, done=done)


def _help_page(page: Page, uow: UoW, rt: OpsRuntime, principal: Principal, *, done: str = "",
               status_code: int = 200, problems: list[Problem] | None = None,
               form: dict[str, str] | None = None) -> Response:
    scopes = visible_scopes(principal, "community.help.read")
    cond = or_(HelpRequest.requester_id == principal.user_id,
               *(HelpRequest.scope.startswith(s, autoescape=True) for s in scopes))
    rows = list(uow.session.scalars(select(HelpRequest).where(cond)
                                    .order_by(HelpRequest.id.desc()).limit(200)))
    places = [uow.session.get(Place, pid) for pid in grant_place_ids(uow, principal)]
    return page.render(
        "community_ops/help.html", rows=rows, rules=help_rules(), done=done,
        places=[p for p in places if p is not None], zone=rt.zone,
        coordinator=is_allowed(principal, "community.help.match"),
        reasons={r.id: unmatched_reason(uow.session, help_rules(), r, rt.now(), rt.zone)
                 for r in rows if r.status == "open"},
        mine={r.id for r in rows if r.requester_id == principal.user_id},
        status_code=status_code, problems=problems or [], form=form or {})


@router.post("/community/help")
def help_form(
    page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    place: Annotated[int, Form()], kind: Annotated[str, Form(max_length=20)],
    urgency: Annotated[str, Form(max_length=10)] = "normal",
    description: Annotated[str, Form(max_length=1000)] = "",
    contact_name: Annotated[str, Form(max_length=100)] = "",
    contact_phone: Annotated[str, Form(max_length=40)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
    money_handling: Annotated[bool, Form()] = False,
    lat: Annotated[str, Form(max_length=40)] = "",
    lon: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Ask for help from the page; a point from the map picker (optional) places the request
    in the grid containing it. Problems come back on the page (422) with what was typed."""
    where = uow.session.get(Place, place)
    if where is None:
        return back("/community/help")
    form = {"place": str(place), "kind": kind, "urgency": urgency, "description": description,
            "contact_name": contact_name, "contact_phone": contact_phone, "address": address,
            "language": language, "lat": lat, "lon": lon}
    try:
        refuse_nul(form, t=page.t)
        at_lat, at_lon = form_point(lat, lon, t=page.t)
        place_of_point(uow.session, at_lat, at_lon, within=where, field="location", t=page.t)
        data = help_requests.HelpInput(
            place=where.code, kind=kind, urgency=urgency, description=description,
            contact_name=contact_name, contact_phone=contact_phone, address=address,
            languages=[language] if language else [], money_handling=money_handling,
            lat=at_lat, lon=at_lon)
        help_requests.create(uow, rt, principal, data, help_rules())
    except InputError as exc:
        uow.rollback()
        return _help_page(page, uow, rt, principal, status_code=exc.status_code,
                          problems=exc.problems, form=form)
    return back("/community/help?done=asked")


@router.post("/community/help/match")
def match_form(uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> Response:
    require(principal, "community.help.match")
    r = help_matching_run.run_round(uow, rt, help_rules(), principal)
    return back(f"/community/help?done=matched-{r.offers}")


def _cents(amount: str) -> int:
    """Yuan as typed ("42.5") in cents; anything else (abc, nan, inf, 1e400) names the field."""
    try:
        value = Decimal(amount.strip() or "0")
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 <= value <= 100_000:
        raise InputError([Problem("amount", "an amount in yuan, e.g. 42.50")])
    return int((value * 100).to_integral_value())


@router.post("/community/help/{request_id}/{step}")
def help_step_form(
    request_id: int, step: str, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    amount: Annotated[str, Form(max_length=20)] = "",
    items: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    if step == "confirm":
        help_requests.confirm(uow, rt, principal, request_id)
        return back("/community/help?done=confirmed")
    if step == "cancel":
        help_requests.cancel(uow, rt, principal, request_id)
        return back("/community/help?done=cancelled")
    if step == "start":
        help_requests.start(uow, rt, principal, request_id)
    elif step == "receipt":
        help_requests.may_add_receipt(uow.session, principal, request_id)
        cents = _cents(amount)
        help_requests.add_receipt(uow, rt, principal, request_id, amount_cents=cents, items=items)
    elif step == "deliver":
        help_requests.deliver(uow, rt, principal, request_id, help_rules())
    return back("/community/help/offers")


@router.get("/community/help/offers")
def offers_page(page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> Response:
    vol = volunteers.own_volunteer(uow.session, principal)
    items = []
    if vol is not None:
        rows = uow.session.execute(
            select(HelpOffer, HelpRequest)
            .join(HelpRequest, HelpRequest.id == HelpOffer.request_id)
            .where(HelpOffer.volunteer_id == vol.id).order_by(HelpOffer.id.desc()).limit(50))
        for offer, req in rows:
            contact = None
            if offer.state == OfferState.ACCEPTED:
                contact = help_requests.contact(uow, rt, principal, req.id)
            items.append({"offer": offer, "req": req, "contact": contact,
                          "place": uow.session.scalar(
                              select(Place).where(Place.path == req.scope))})
    return page.render("community_ops/offers.html", volunteer=vol, items=items, zone=rt.zone)


@router.post("/community/help/offers/{offer_id}/{answer}")
def offer_form(offer_id: int, answer: str, uow: UoW, rt: Runtime,
               principal: CurrentPrincipal) -> Response:
    help_requests.respond(uow, rt, principal, offer_id, accept=answer == "accept")
    return back("/community/help/offers")
