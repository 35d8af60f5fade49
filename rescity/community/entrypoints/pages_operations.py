"""Server-rendered pages of part II: the task table of cases with urging (催办), a case with its
history, filing a case, help requests (ask, coordinate) and a volunteer's offers.

Forms post here and are answered with a redirect (post/redirect/get); every action goes
through the same services, and so the same policy, as the JSON API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import or_, select

from rescity.community.adapters.orm_help import HelpOffer, HelpRequest
from rescity.community.adapters.orm_operations import Handler
from rescity.community.domain.help_requests import OfferState, help_rules
from rescity.community.domain.work_orders import OPEN_STATUSES, CaseStatus, Channel
from rescity.community.entrypoints.ops_deps import Runtime
from rescity.community.services import (
    case_sweep,
    help_matching_run,
    help_requests,
    volunteers,
    work_orders,
)
from rescity.core.places import Place
from rescity.core.security.policy import is_allowed, require, visible_scopes
from rescity.web.deps import CurrentPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


def back(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


@router.get("/community/cases")
def cases_page(page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
               overdue: int = 0, done: str = "") -> Response:
    f = case_sweep.CaseFilter(
        status=tuple(s.value for s in OPEN_STATUSES) if overdue else (), overdue=bool(overdue),
        limit=200)
    rows = case_sweep.list_cases(uow.session, rt, principal, f)
    handlers = {h.id: h for h in uow.session.scalars(select(Handler))}
    now = rt.now()
    items = [{
        "case": c, "type": rt.levels.types.get(c.service_code),
        "handler": handlers.get(c.handler_id or 0),
        "deadline": c.deadline_at.astimezone(rt.zone).strftime("%Y-%m-%d %H:%M"),
        "overdue": CaseStatus(c.status) in OPEN_STATUSES and c.deadline_at < now,
        "can_urge": CaseStatus(c.status) in OPEN_STATUSES and is_allowed(
            principal, "community.case.urge", work_orders.case_target(c)),
    } for c in rows]
    return page.render("community_ops/cases.html", items=items, overdue=bool(overdue),
                       done=done, can_file=True)


@router.post("/community/cases/{case_id}/urge")
def urge_form(case_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
              note: Annotated[str, Form(max_length=2000)] = "",
              next: Annotated[str, Form(max_length=200)] = "/community/cases") -> Response:
    work_orders.urge(uow, rt, principal, case_id, note)
    target = next if next.startswith("/community/") else "/community/cases"
    return back(f"{target}{'&' if '?' in target else '?'}done=urged")


@router.get("/community/cases/new")
def new_case_page(page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> Response:
    places = [uow.session.get(Place, pid) for pid in _grant_place_ids(uow, principal)]
    return page.render("community_ops/case_new.html", types=list(rt.levels.types.values()),
                       places=[p for p in places if p is not None])


def _grant_place_ids(uow: UoW, principal: CurrentPrincipal) -> list[int]:
    paths = {g.scope for g in principal.grants}
    return list(uow.session.scalars(select(Place.id).where(Place.path.in_(paths))))


@router.post("/community/cases/new")
def new_case_form(
    uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    service_code: Annotated[str, Form(max_length=40)],
    place: Annotated[int, Form()],
    description: Annotated[str, Form(max_length=4000)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    where = uow.session.get(Place, place)
    if where is None or place not in _grant_place_ids(uow, principal):
        return back("/community/cases/new")
    data = work_orders.CaseInput(service_code=service_code, description=description,
                                 address=address)
    case = work_orders.file_case(uow, rt, principal, data, scope=where.path,
                                 channel=Channel.RESIDENT)
    return back(f"/community/cases/{case.id}")


@router.get("/community/cases/{case_id}")
def case_page(case_id: int, page: Page, uow: UoW, rt: Runtime,
              principal: CurrentPrincipal) -> Response:
    case = work_orders.get_case(uow.session, principal, case_id, "community.case.read")
    events = case_sweep.history(uow.session, principal, case_id)
    target = work_orders.case_target(case)
    handler = uow.session.get(Handler, case.handler_id) if case.handler_id else None
    status = CaseStatus(case.status)
    allowed = {
        "accept": status == CaseStatus.DISPATCHED
        and is_allowed(principal, "community.case.update", target),
        "resolve": status in (CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS)
        and is_allowed(principal, "community.case.update", target),
        "urge": status in OPEN_STATUSES and is_allowed(principal, "community.case.urge", target),
        "rate": status == CaseStatus.RESOLVED
        and is_allowed(principal, "community.case.rate", target),
        "reopen": status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
        and is_allowed(principal, "community.case.reopen", target),
    }
    return page.render(
        "community_ops/case.html", case=case, type=rt.levels.types.get(case.service_code),
        handler=handler, events=events, allowed=allowed, zone=rt.zone,
        overdue=status in OPEN_STATUSES and case.deadline_at < rt.now())


@router.post("/community/cases/{case_id}/{step}")
def case_step_form(
    case_id: int, step: str, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    resolution: Annotated[str, Form(max_length=2000)] = "",
    evidence: Annotated[str, Form(max_length=2000)] = "",
    rating: Annotated[int, Form()] = 0,
    comment: Annotated[str, Form(max_length=500)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if step == "accept":
        work_orders.accept(uow, rt, principal, case_id)
    elif step == "resolve":
        work_orders.resolve(uow, rt, principal, case_id, resolution=resolution,
                            evidence=[e for e in evidence.split() if e])
    elif step == "rate":
        work_orders.rate(uow, rt, principal, case_id, rating=rating, comment=comment)
    elif step == "reopen":
        work_orders.reopen(uow, rt, principal, case_id, reason=reason)
    return back(f"/community/cases/{case_id}")


@router.get("/community/help")
def help_page(page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
              done: str = "") -> Response:
    scopes = visible_scopes(principal, "community.help.read")
    cond = or_(HelpRequest.requester_id == principal.user_id,
               *(HelpRequest.scope.startswith(s, autoescape=True) for s in scopes))
    rows = list(uow.session.scalars(select(HelpRequest).where(cond)
                                    .order_by(HelpRequest.id.desc()).limit(200)))
    places = [uow.session.get(Place, pid) for pid in _grant_place_ids(uow, principal)]
    return page.render(
        "community_ops/help.html", rows=rows, rules=help_rules(), done=done,
        places=[p for p in places if p is not None], zone=rt.zone,
        coordinator=is_allowed(principal, "community.help.match"),
        mine={r.id for r in rows if r.requester_id == principal.user_id})


@router.post("/community/help")
def help_form(
    uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    place: Annotated[int, Form()], kind: Annotated[str, Form(max_length=20)],
    urgency: Annotated[str, Form(max_length=10)] = "normal",
    description: Annotated[str, Form(max_length=1000)] = "",
    contact_name: Annotated[str, Form(max_length=100)] = "",
    contact_phone: Annotated[str, Form(max_length=40)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    language: Annotated[str, Form(max_length=10)] = "",
    money_handling: Annotated[bool, Form()] = False,
) -> Response:
    where = uow.session.get(Place, place)
    if where is None:
        return back("/community/help")
    data = help_requests.HelpInput(
        place=where.code, kind=kind, urgency=urgency, description=description,
        contact_name=contact_name, contact_phone=contact_phone, address=address,
        languages=[language] if language else [], money_handling=money_handling)
    help_requests.create(uow, rt, principal, data, help_rules())
    return back("/community/help?done=asked")


@router.post("/community/help/match")
def match_form(uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> Response:
    require(principal, "community.help.match")
    r = help_matching_run.run_round(uow, rt, help_rules(), principal)
    return back(f"/community/help?done=matched-{r.offers}")


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
        cents = round(float(amount or 0) * 100)
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
