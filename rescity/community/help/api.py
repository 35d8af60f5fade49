"""JSON API of help requests and volunteers under ``/api/community``.

One schema per audience: the requester and the coordinator see the request; a volunteer sees
an *offer* (kind, area, time window, urgency) and the description and contact details only
after they accepted it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from rescity.community.cases.deps import Runtime
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help import matching_run as help_matching_run
from rescity.community.help import services as help_requests
from rescity.community.help import volunteers, volunteers_api
from rescity.community.help.adapters import HelpOffer, HelpRequest, Volunteer
from rescity.community.help.domain import OfferState, help_rules
from rescity.community.help.unmatched import REASONS, unmatched_reason
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.security.policy import Principal, visible_scopes
from rescity.web.deps import CurrentPrincipal, UoW, allow

router = APIRouter(prefix="/api/community", tags=["community: help"])
router.include_router(volunteers_api.router)


class HelpIn(BaseModel):
    place: str = Field(max_length=64)
    kind: str = Field(max_length=20)
    urgency: str = "normal"
    languages: list[str] = Field(default_factory=list, max_length=5)
    window_start: datetime | None = None
    window_end: datetime | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    description: str = Field(default="", max_length=1000)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=300)
    vulnerable: bool = False
    home_visit: bool = False
    money_handling: bool = False
    resident_id: int | None = None
    channel: str = "self"


class HelpPublic(BaseModel):
    id: int
    kind: str
    urgency: str
    status: str
    languages: list[str]
    window_start: datetime | None
    window_end: datetime | None
    description: str
    vulnerable: bool
    home_visit: bool
    money_handling: bool
    volunteers_needed: int
    volunteers: list[str]
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    confirmed_at: datetime | None
    unmatched_reason: str | None = Field(
        default=None, description="why an open request has no volunteer yet: "
        + ", ".join(REASONS))


def _help(uow: UoW, req: HelpRequest, rt: OpsRuntime) -> HelpPublic:
    names = list(uow.session.scalars(
        select(Volunteer.display_name).join(HelpOffer, HelpOffer.volunteer_id == Volunteer.id)
        .where(HelpOffer.request_id == req.id,
               HelpOffer.state.in_([OfferState.ACCEPTED, OfferState.DONE]))))
    return HelpPublic(
        id=req.id, kind=req.kind, urgency=req.urgency, status=req.status,
        languages=req.languages, window_start=req.window_start, window_end=req.window_end,
        description=req.description, vulnerable=req.vulnerable, home_visit=req.home_visit,
        money_handling=req.money_handling, volunteers_needed=req.volunteers_needed,
        volunteers=names, attempts=req.attempts, created_at=req.created_at,
        delivered_at=req.delivered_at, confirmed_at=req.confirmed_at,
        unmatched_reason=unmatched_reason(uow.session, help_rules(), req, rt.now(), rt.zone))


@router.post("/help", status_code=status.HTTP_201_CREATED)
def create_help(body: HelpIn, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> HelpPublic:
    data = help_requests.HelpInput(**body.model_dump())
    return _help(uow, help_requests.create(uow, rt, principal, data, help_rules()), rt)


@router.get("/help")
def list_help(uow: UoW, rt: Runtime, principal: CurrentPrincipal, status_: str | None = None
              ) -> list[HelpPublic]:
    scopes = visible_scopes(principal, "community.help.read")
    cond = or_(HelpRequest.requester_id == principal.user_id,
               *(HelpRequest.scope.startswith(s, autoescape=True) for s in scopes))
    stmt = select(HelpRequest).where(cond).order_by(HelpRequest.id.desc()).limit(200)
    if status_:
        stmt = stmt.where(HelpRequest.status == status_)
    out = [_help(uow, r, rt) for r in uow.session.scalars(stmt)]
    # Health and whereabouts: every read is audited, like reads of the resident register.
    audit.record(uow.session, principal, kind=AuditKind.READ, action="community.help.read",
                 record_type="help_request", record_id=f"{len(out)} rows",
                 purpose="help coordination")
    uow.commit()
    return out


@router.get("/help/{request_id}")
def read_help(request_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal
              ) -> HelpPublic:
    req = help_requests.get_request(uow.session, principal, request_id, "community.help.read")
    out = _help(uow, req, rt)
    audit.record(uow.session, principal, kind=AuditKind.READ, action="community.help.read",
                 record_type="help_request", record_id=out.id, scope=req.scope,
                 purpose="help coordination")
    uow.commit()
    return out


class RoundPublic(BaseModel):
    expired: int
    offers: int
    escalated: int
    unmatched: int


@router.post("/help-match")
def match_round(uow: UoW, rt: Runtime,
                principal: Annotated[Principal, Depends(allow("community.help.match"))]
                ) -> RoundPublic:
    r = help_matching_run.run_round(uow, rt, help_rules(), principal)
    return RoundPublic(expired=r.expired, offers=r.offers, escalated=r.escalated,
                       unmatched=r.unmatched)


class AssignIn(BaseModel):
    volunteer_id: int


@router.post("/help/{request_id}/assign")
def assign(request_id: int, body: AssignIn, uow: UoW, rt: Runtime,
           principal: CurrentPrincipal) -> HelpPublic:
    help_matching_run.assign_directly(uow, rt, principal, request_id, body.volunteer_id,
                                      help_rules())
    req = uow.session.get(HelpRequest, request_id)
    assert req is not None
    return _help(uow, req, rt)


class OfferPublic(BaseModel):
    id: int
    state: str
    expires_at: datetime
    request_id: int
    kind: str
    urgency: str
    request_status: str
    languages: list[str]
    window_start: datetime | None
    window_end: datetime | None
    home_visit: bool
    money_handling: bool
    description: str | None  # only once accepted


@router.get("/help-offers/mine")
def my_offers(uow: UoW, principal: CurrentPrincipal) -> list[OfferPublic]:
    vol = volunteers.own_volunteer(uow.session, principal)
    if vol is None:
        return []
    rows = uow.session.execute(
        select(HelpOffer, HelpRequest).join(HelpRequest, HelpRequest.id == HelpOffer.request_id)
        .where(HelpOffer.volunteer_id == vol.id).order_by(HelpOffer.id.desc()).limit(100))
    out = []
    for offer, req in rows:
        accepted = offer.state in (OfferState.ACCEPTED, OfferState.DONE)
        out.append(OfferPublic(
            id=offer.id, state=offer.state, expires_at=offer.expires_at, request_id=req.id,
            kind=req.kind, urgency=req.urgency, request_status=req.status,
            languages=req.languages, window_start=req.window_start, window_end=req.window_end,
            home_visit=req.home_visit, money_handling=req.money_handling,
            description=req.description if accepted else None))
    return out


@router.post("/help-offers/{offer_id}/accept")
def accept_offer(offer_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal
                 ) -> dict[str, str]:
    offer = help_requests.respond(uow, rt, principal, offer_id, accept=True)
    return {"state": offer.state}


@router.post("/help-offers/{offer_id}/decline")
def decline_offer(offer_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal
                  ) -> dict[str, str]:
    offer = help_requests.respond(uow, rt, principal, offer_id, accept=False)
    return {"state": offer.state}


@router.post("/help/{request_id}/start")
def start(request_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> HelpPublic:
    return _help(uow, help_requests.start(uow, rt, principal, request_id), rt)


class ReceiptIn(BaseModel):
    amount_cents: int
    items: str = Field(max_length=500)
    currency: str = "CNY"


@router.post("/help/{request_id}/receipts", status_code=status.HTTP_201_CREATED)
def receipt(request_id: int, body: ReceiptIn, uow: UoW, rt: Runtime,
            principal: CurrentPrincipal) -> dict[str, int]:
    r = help_requests.add_receipt(uow, rt, principal, request_id, amount_cents=body.amount_cents,
                                  items=body.items, currency=body.currency)
    return {"id": r.id, "amount_cents": r.amount_cents}


@router.post("/help/{request_id}/deliver")
def deliver(request_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> HelpPublic:
    return _help(uow, help_requests.deliver(uow, rt, principal, request_id, help_rules()), rt)


@router.post("/help/{request_id}/confirm")
def confirm(request_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> HelpPublic:
    return _help(uow, help_requests.confirm(uow, rt, principal, request_id), rt)


@router.post("/help/{request_id}/cancel")
def cancel(request_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> HelpPublic:
    return _help(uow, help_requests.cancel(uow, rt, principal, request_id), rt)


@router.get("/help/{request_id}/contact")
def contact(request_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal
            ) -> dict[str, str]:
    return help_requests.contact(uow, rt, principal, request_id)
