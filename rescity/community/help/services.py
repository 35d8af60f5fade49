"""Help requests: ask (a resident, a grid worker for them, or by phone), accept or decline an
offer, start, record a receipt, deliver, confirm, cancel, and the contact details that only
a volunteer who accepted (or the coordinator) may see, with an audit row for each reading."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help.adapters import HelpOffer, HelpReceipt, HelpRequest, Volunteer
from rescity.community.help.domain import (
    ACTIVE,
    HelpRules,
    HelpStatus,
    OfferState,
    Urgency,
)
from rescity.community.help.status import escalate_if_due, refresh_status
from rescity.community.help.volunteers import own_volunteer
from rescity.community.shared.adapters import CareFlag, Resident
from rescity.community.shared.errors import BadTransition
from rescity.community.shared.location import place_of_point
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, PermissionDenied, Problem
from rescity.core.places import contains, get_place
from rescity.core.security.policy import Principal, Target, is_allowed, require
from rescity.core.storage.uow import UnitOfWork

CONTACT_CONTEXT = "help_request.contact"
CHANNELS = ("self", "grid_worker", "phone")


@dataclass(frozen=True)
class HelpInput:
    place: str
    kind: str
    urgency: str = Urgency.NORMAL.value
    languages: list[str] = field(default_factory=list)
    window_start: datetime | None = None
    window_end: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    description: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    address: str = ""
    vulnerable: bool = False
    home_visit: bool = False
    money_handling: bool = False
    resident_id: int | None = None
    channel: str = "self"


def request_target(req: HelpRequest) -> Target:
    return Target(scope=req.scope, owner_id=req.requester_id)


def _validate(data: HelpInput, rules: HelpRules) -> None:
    problems = rules.check_languages(data.languages, "languages")
    if data.kind not in rules.kinds:
        problems.append(Problem("kind", f"one of {', '.join(rules.kinds)}"))
    if data.urgency not in set(Urgency):
        problems.append(Problem("urgency", f"one of {', '.join(Urgency)}"))
    if data.channel not in CHANNELS:
        problems.append(Problem("channel", f"one of {', '.join(CHANNELS)}"))
    if (data.window_start is None) != (data.window_end is None) or (
        data.window_start and data.window_end and data.window_end <= data.window_start
    ):
        problems.append(Problem("window", "a start before an end, or neither"))
    if (data.lat is None) != (data.lon is None):
        problems.append(Problem("lat/lon", "give both or neither"))
    if len(data.description) > 1000:
        problems.append(Problem("description", "at most 1000 characters"))
    if not data.contact_phone.strip() and not data.address.strip():
        problems.append(Problem("contact", "a phone number or an address to reach the person"))
    if problems:
        raise InputError(problems, source="help request")


def create(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, data: HelpInput,
           rules: HelpRules) -> HelpRequest:
    s, now = uow.session, rt.now()
    _validate(data, rules)
    place = get_place(s, data.place)
    if data.channel == "self":
        require(principal, "community.help.create",
                Target(scope=place.path, owner_id=principal.user_id))
        requester: int | None = principal.user_id
    else:  # a grid worker records a request on someone's behalf, e.g. from a phone call
        require(principal, "community.help.create_for_others", Target(scope=place.path))
        requester = None
    vulnerable = data.vulnerable
    if data.resident_id is not None:
        resident = s.get(Resident, data.resident_id)
        if resident is None:
            raise InputError([Problem("resident_id", f"no resident {data.resident_id}")])
        require(principal, "community.resident.read",
                Target(scope=resident.scope, owner_id=resident.user_id))
        requester = requester if requester is not None else resident.user_id
        vulnerable = vulnerable or _has_care_flag(s, resident.id)
    # With coordinates the request belongs to the innermost place containing them (a grid of
    # the place given), so matching and the grid worker see it where it is.
    located = place_of_point(s, data.lat, data.lon, within=place, field="lat/lon")
    scope = located.path if located else _household_grid(s, principal, data, place.path)
    contact = {"name": data.contact_name.strip()[:100], "phone": data.contact_phone.strip()[:40],
               "address": data.address.strip()[:300]}
    req = HelpRequest(
        scope=scope, resident_id=data.resident_id, requester_id=requester,
        created_by=principal.user_id, channel=data.channel, kind=data.kind,
        urgency=data.urgency, languages=list(dict.fromkeys(data.languages)),
        window_start=data.window_start, window_end=data.window_end,
        lat=round(data.lat, 3) if data.lat is not None else None,  # ~100 m: grid level
        lon=round(data.lon, 3) if data.lon is not None else None,
        description=data.description.strip(),
        contact_sealed=rt.cipher.seal(json.dumps(contact, ensure_ascii=False),
                                      context=CONTACT_CONTEXT),
        vulnerable=vulnerable, home_visit=data.home_visit, money_handling=data.money_handling,
        volunteers_needed=rules.needed(vulnerable=vulnerable, home_visit=data.home_visit),
        status=HelpStatus.OPEN.value, created_at=now, updated_at=now,
    )
    s.add(req)
    s.flush()
    audit.record(s, principal, kind=AuditKind.WRITE, action="community.help.create",
                 record_type="help_request", record_id=req.id, scope=req.scope,
                 detail={"channel": data.channel, "kind": data.kind})
    uow.commit()
    return req


def _household_grid(s: Session, principal: Principal, data: HelpInput, scope: str) -> str:
    """Without coordinates a request belongs to the requester's household's grid (the
    resident it is for, else the requester's own record) when that lies inside ``scope``,
    so volunteers of that grid match it; otherwise to ``scope`` itself."""
    if data.resident_id is not None:
        home = s.scalar(select(Resident.scope).where(Resident.id == data.resident_id))
    elif data.channel == "self":
        home = s.scalar(select(Resident.scope).where(Resident.user_id == principal.user_id)
                        .limit(1))
    else:
        home = None
    return home if home and contains(scope, home) else scope


def _has_care_flag(s: Session, resident_id: int) -> bool:
    return s.scalar(select(CareFlag.id).where(
        CareFlag.resident_id == resident_id, CareFlag.withdrawn_at.is_(None))) is not None


def get_request(s: Session, principal: Principal, request_id: int, action: str) -> HelpRequest:
    req = s.get(HelpRequest, request_id)
    if req is None:
        raise NotFound(f"no help request {request_id}")
    target = request_target(req)
    if not is_allowed(principal, action, target) and not is_allowed(
        principal, "community.help.read", target
    ) and _my_offer(s, principal, req.id) is None:
        raise NotFound(f"no help request {request_id}")
    require(principal, action, target)
    return req


def _my_offer(s: Session, principal: Principal, request_id: int,
              states: tuple[str, ...] = (OfferState.OFFERED, OfferState.ACCEPTED,
                                         OfferState.DONE)) -> HelpOffer | None:
    vol = own_volunteer(s, principal)
    if vol is None:
        return None
    return s.scalar(select(HelpOffer).where(
        HelpOffer.request_id == request_id, HelpOffer.volunteer_id == vol.id,
        HelpOffer.state.in_(states)))


def _finish(uow: UnitOfWork, principal: Principal, req: HelpRequest, action: str) -> HelpRequest:
    audit.record(uow.session, principal, kind=AuditKind.WRITE, action=action,
                 record_type="help_request", record_id=req.id, scope=req.scope)
    try:
        uow.commit()
    except StaleDataError:
        raise Conflict(f"help request {req.id} changed meanwhile; reload and retry") from None
    return req


def respond(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, offer_id: int, *,
            accept: bool) -> HelpOffer:
    """The volunteer accepts or declines an offer made to them."""
    s, now = uow.session, rt.now()
    offer = s.get(HelpOffer, offer_id)
    vol = s.get(Volunteer, offer.volunteer_id) if offer else None
    if offer is None or vol is None or vol.user_id != principal.user_id:
        raise NotFound(f"no offer {offer_id}")
    action = "community.help.accept" if accept else "community.help.decline"
    require(principal, action, Target(scope=offer.scope, owner_id=vol.user_id))
    if offer.state != OfferState.OFFERED or offer.expires_at <= now:
        raise BadTransition(f"offer {offer_id} is no longer open")
    req = s.get(HelpRequest, offer.request_id)
    assert req is not None
    offer.state = (OfferState.ACCEPTED if accept else OfferState.DECLINED).value
    offer.responded_at = now
    if not accept:
        req.attempts += 1
    s.flush()
    refresh_status(s, req, now)
    if not accept:
        escalate_if_due(s, rt, req)
    _finish(uow, principal, req, action)
    return offer


def _as_volunteer(s: Session, principal: Principal, req: HelpRequest, action: str) -> HelpOffer:
    offer = _my_offer(s, principal, req.id, (OfferState.ACCEPTED,))
    if offer is None:
        if is_allowed(principal, "community.help.read", request_target(req)):
            raise PermissionDenied("only a volunteer who accepted this request may do that")
        raise NotFound(f"no help request {req.id}")
    require(principal, action, Target(scope=req.scope, owner_id=principal.user_id))
    return offer


def start(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, request_id: int
          ) -> HelpRequest:
    req = uow.session.get(HelpRequest, request_id)
    if req is None:
        raise NotFound(f"no help request {request_id}")
    _as_volunteer(uow.session, principal, req, "community.help.start")
    if req.status != HelpStatus.ACCEPTED:
        raise BadTransition(f"help request {req.id} is {req.status}")
    req.status, req.started_at = HelpStatus.IN_PROGRESS.value, rt.now()
    req.updated_at = req.started_at
    return _finish(uow, principal, req, "community.help.start")


def may_add_receipt(s: Session, principal: Principal, request_id: int) -> None:
    """Refuse (404/403) unless the user may record a receipt on the request: checked before
    the amount a form sent is even parsed."""
    req = s.get(HelpRequest, request_id)
    if req is None:
        raise NotFound(f"no help request {request_id}")
    _as_volunteer(s, principal, req, "community.help.receipt")


def add_receipt(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, request_id: int, *,
                amount_cents: int, items: str, currency: str = "CNY") -> HelpReceipt:
    s = uow.session
    req = s.get(HelpRequest, request_id)
    if req is None:
        raise NotFound(f"no help request {request_id}")
    _as_volunteer(s, principal, req, "community.help.receipt")
    if not 0 < amount_cents <= 10_000_000 or not items.strip() or len(currency) != 3:
        raise InputError([Problem("receipt", "an amount, a currency and what was bought")])
    receipt = HelpReceipt(request_id=req.id, amount_cents=amount_cents, currency=currency.upper(),
                          items=items.strip()[:500], recorded_by=principal.user_id,
                          recorded_at=rt.now())
    s.add(receipt)
    _finish(uow, principal, req, "community.help.receipt")
    return receipt


def deliver(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, request_id: int,
            rules: HelpRules) -> HelpRequest:
    s, now = uow.session, rt.now()
    req = s.get(HelpRequest, request_id)
    if req is None:
        raise NotFound(f"no help request {request_id}")
    _as_volunteer(s, principal, req, "community.help.deliver")
    if HelpStatus(req.status) not in ACTIVE:
        raise BadTransition(f"help request {req.id} is {req.status}")
    if req.money_handling and rules.receipt_for_money and s.scalar(
        select(HelpReceipt.id).where(HelpReceipt.request_id == req.id)) is None:
        raise InputError([Problem("receipt", "money was handled: record the receipt first")])
    req.status, req.delivered_at, req.updated_at = HelpStatus.DELIVERED.value, now, now
    for offer in s.scalars(select(HelpOffer).where(
            HelpOffer.request_id == req.id, HelpOffer.state == OfferState.ACCEPTED)):
        offer.state = OfferState.DONE.value
        vol = s.get(Volunteer, offer.volunteer_id)
        if vol is not None:
            vol.completed += 1
    return _finish(uow, principal, req, "community.help.deliver")


def confirm(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, request_id: int
            ) -> HelpRequest:
    """The resident (or the grid worker for them) confirms the help arrived."""
    req = get_request(uow.session, principal, request_id, "community.help.confirm")
    if req.status != HelpStatus.DELIVERED:
        raise BadTransition(f"help request {req.id} is {req.status}")
    req.status, req.confirmed_at = HelpStatus.CONFIRMED.value, rt.now()
    req.updated_at = req.confirmed_at
    return _finish(uow, principal, req, "community.help.confirm")


def cancel(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, request_id: int
           ) -> HelpRequest:
    s, now = uow.session, rt.now()
    req = get_request(s, principal, request_id, "community.help.cancel")
    if HelpStatus(req.status) not in (HelpStatus.OPEN, HelpStatus.OFFERED, HelpStatus.ACCEPTED,
                                      HelpStatus.ESCALATED):
        raise BadTransition(f"help request {req.id} is {req.status}")
    for offer in s.scalars(select(HelpOffer).where(
            HelpOffer.request_id == req.id,
            HelpOffer.state.in_([OfferState.OFFERED, OfferState.ACCEPTED]))):
        offer.state, offer.responded_at = OfferState.WITHDRAWN.value, now
    req.status, req.updated_at = HelpStatus.CANCELLED.value, now
    return _finish(uow, principal, req, "community.help.cancel")


def contact(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, request_id: int
            ) -> dict[str, str]:
    """Name, phone and address: for the volunteers who accepted, and the coordinator."""
    s = uow.session
    req = s.get(HelpRequest, request_id)
    if req is None:
        raise NotFound(f"no help request {request_id}")
    coordinator = is_allowed(principal, "community.help.contact", request_target(req)) and \
        req.requester_id != principal.user_id
    if not coordinator:
        if _my_offer(s, principal, req.id, (OfferState.ACCEPTED, OfferState.DONE)) is None:
            raise NotFound(f"no help request {req.id}")
        require(principal, "community.help.contact",
                Target(scope=req.scope, owner_id=principal.user_id))
    if HelpStatus(req.status) in (HelpStatus.CONFIRMED, HelpStatus.CANCELLED) and not coordinator:
        raise PermissionDenied("the request is closed; its contact details are no longer shown")
    data: dict[str, str] = json.loads(rt.cipher.open(req.contact_sealed or "",
                                                     context=CONTACT_CONTEXT))
    audit.record(s, principal, kind=AuditKind.READ, action="community.help.contact",
                 record_type="help_request", record_id=req.id, scope=req.scope,
                 purpose="delivery")
    uow.commit()
    return data
