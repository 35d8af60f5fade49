"""A matching round: expire unanswered offers, then offer every open request to its best
free volunteers (see :mod:`rescity.community.help.matching` for the rules), and hand
requests that failed too many offers to a professional (an alert for the grid worker).

Run by ``rescity help-requests match`` (e.g. every minute) and by a coordinator from the web.
Volunteers who declined a request or let its offer expire are not asked again for it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rescity.community.alerts.raising import ancestors
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help import matching as hm
from rescity.community.help import shifts
from rescity.community.help.adapters import HelpOffer, HelpRequest, Volunteer
from rescity.community.help.domain import (
    URGENCY_RANK,
    HelpRules,
    HelpStatus,
    OfferState,
    Urgency,
    Vetting,
)
from rescity.community.help.notify import tell_offers
from rescity.community.help.status import escalate_if_due, refresh_status
from rescity.community.help.volunteers import is_vetted
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.places import community_path
from rescity.core.security.policy import Principal, Target, require
from rescity.core.storage.uow import UnitOfWork


@dataclass(frozen=True)
class RoundResult:
    expired: int
    offers: int
    escalated: int
    unmatched: int


def expire_offers(s: Session, rt: OpsRuntime, rules: HelpRules) -> tuple[int, int]:
    now = rt.now()
    stale = list(s.scalars(select(HelpOffer).where(
        HelpOffer.state == OfferState.OFFERED, HelpOffer.expires_at <= now)))
    escalated = 0
    touched: dict[int, HelpRequest] = {}
    for offer in stale:
        offer.state, offer.responded_at = OfferState.EXPIRED.value, now
        vol = s.get(Volunteer, offer.volunteer_id)
        if vol is not None:
            vol.failed += 1
        req = s.get(HelpRequest, offer.request_id)
        if req is not None:
            req.attempts += 1
            touched[req.id] = req
    s.flush()
    for req in touched.values():
        refresh_status(s, req, now)
        escalated += escalate_if_due(s, rt, req, rules)
    return len(stale), escalated


def run_round(uow: UnitOfWork, rt: OpsRuntime, rules: HelpRules,
              principal: Principal | None = None) -> RoundResult:
    s, now = uow.session, rt.now()
    expired, escalated = expire_offers(s, rt, rules)
    requests = list(s.scalars(select(HelpRequest).where(
        HelpRequest.status.in_([HelpStatus.OPEN, HelpStatus.OFFERED]))))
    taken = _taken_slots(s, [r.id for r in requests])
    requests = [r for r in requests if taken.get(r.id, 0) < r.volunteers_needed]
    volunteers = list(s.scalars(select(Volunteer).where(
        Volunteer.active.is_(True),
        Volunteer.vetting_state.not_in([Vetting.REJECTED, Vetting.SUSPENDED]))))
    offers = 0
    # Volunteers help within their own community only: one matching per community.
    by_community: dict[str | None, list[Volunteer]] = defaultdict(list)
    for v in volunteers:
        by_community[community_path(v.scope)].append(v)
    asking: dict[str | None, list[HelpRequest]] = defaultdict(list)
    for r in requests:
        asking[community_path(r.scope)].append(r)
    for home, reqs in asking.items():
        if home is not None and by_community.get(home):
            offers += _match(s, rt, rules, reqs, by_community[home], taken, now)
    audit.record(s, principal, kind=AuditKind.WRITE, action="community.help.match",
                 record_type="help_request",
                 detail={"expired": expired, "offers": offers, "escalated": escalated})
    uow.commit()
    unmatched = sum(1 for r in requests if r.status == HelpStatus.OPEN)
    return RoundResult(expired, offers, escalated, unmatched)


def _taken_slots(s: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = s.execute(select(HelpOffer.request_id, func.count()).where(
        HelpOffer.request_id.in_(ids),
        HelpOffer.state.in_([OfferState.OFFERED, OfferState.ACCEPTED])
    ).group_by(HelpOffer.request_id))
    return {row[0]: int(row[1]) for row in rows}


def _match(s: Session, rt: OpsRuntime, rules: HelpRules, requests: list[HelpRequest],
           volunteers: list[Volunteer], taken: dict[int, int], now: datetime) -> int:
    busy = dict(s.execute(select(HelpOffer.volunteer_id, func.count()).where(
        HelpOffer.state.in_([OfferState.OFFERED, OfferState.ACCEPTED])
    ).group_by(HelpOffer.volunteer_id)).all())
    asked: dict[int, set[int]] = defaultdict(set)
    # not asked again: who has or had the request (an offer withdrawn because the request
    # or the volunteer was stopped does not count against the volunteer)
    for rid, vid in s.execute(select(HelpOffer.request_id, HelpOffer.volunteer_id).where(
            HelpOffer.request_id.in_([r.id for r in requests]),
            HelpOffer.state != OfferState.WITHDRAWN)):
        asked[rid].add(vid)
    r_arr, scopes = _request_arrays(requests, rules, now, rt)
    v_arr = _volunteer_arrays(volunteers, scopes, busy, rules, now)
    idx, score = hm.rank(r_arr, v_arr, rules.kind_skills, rules.weights, k=rules.candidates)
    vol_pos = {v.id: i for i, v in enumerate(volunteers)}
    excluded = {(ri, vol_pos[vid]) for ri, r in enumerate(requests) for vid in asked[r.id]
                if vid in vol_pos}
    order = sorted(range(len(requests)), key=lambda i: (
        URGENCY_RANK[Urgency(requests[i].urgency)], requests[i].created_at, requests[i].id))
    room = [max(0, int(c - ld)) for c, ld in zip(v_arr.capacity, v_arr.load, strict=True)]
    needed = [r.volunteers_needed - taken.get(r.id, 0) for r in requests]
    made = hm.assign(idx, score, order=order, needed=needed, room=room, excluded=excluded)
    rows = []
    for a in made:
        req = requests[a.request]
        for vi, sc in zip(a.volunteers, a.scores, strict=True):
            rows.append(HelpOffer(request_id=req.id, volunteer_id=volunteers[vi].id,
                                  scope=req.scope, via="match", score=round(sc, 4),
                                  state=OfferState.OFFERED.value, offered_at=now,
                                  expires_at=now + rules.ttl(req.urgency)))
        req.status, req.updated_at = HelpStatus.OFFERED.value, now
    s.add_all(rows)
    tell_offers(s, rows, now)
    return len(rows)


def _request_arrays(requests: list[HelpRequest], rules: HelpRules, now: datetime,
                    rt: OpsRuntime) -> tuple[hm.Requests, list[tuple[str, bool]]]:
    # An area is a place and whether the requests in it lack a point (those match by grid).
    scopes = sorted({(r.scope, r.lat is None) for r in requests})
    scope_idx = {p: i for i, p in enumerate(scopes)}
    nan = float("nan")
    return hm.Requests(
        kind=np.array([rules.kinds.index(r.kind) for r in requests], dtype=np.int64),
        lat=np.array([r.lat if r.lat is not None else nan for r in requests]),
        lon=np.array([r.lon if r.lon is not None else nan for r in requests]),
        area=np.array([scope_idx[(r.scope, r.lat is None)] for r in requests], dtype=np.int64),
        lang_mask=np.array([rules.lang_mask(r.languages) for r in requests], dtype=np.int64),
        first_lang=np.array([rules.languages.index(r.languages[0]) if r.languages else -1
                             for r in requests], dtype=np.int64),
        needs_vetting=np.array([rules.needs_vetting(r.vulnerable) for r in requests]),
        # when the volunteer is needed: the request's window, else the minute of matching
        window=np.stack([shifts.window_cells(
            *shifts.needed_window(r.window_start, r.window_end, now), rt.zone)
            for r in requests]),
    ), scopes


def _volunteer_arrays(volunteers: list[Volunteer], scopes: list[tuple[str, bool]],
                      busy: dict[int, int], rules: HelpRules, now: datetime) -> hm.Volunteers:
    """Volunteer columns; ``areas[v, j]`` is true when volunteer v serves request area j:
    one of the places they listed contains it, or, when they listed none, the place they
    volunteer in does — for requests without a point (matched by their grid), and for every
    request when the volunteer gave no home point either (signed up for a grid: no radius)."""
    areas = np.zeros((len(volunteers), len(scopes)), dtype=bool)
    serving: dict[str, list[int]] = defaultdict(list)
    home: dict[str, list[int]] = defaultdict(list)
    for i, v in enumerate(volunteers):
        for path in v.areas:
            serving[path].append(i)
        if not v.areas:
            (serving if v.lat is None else home)[v.scope].append(i)
    for j, (scope, no_point) in enumerate(scopes):
        for path in ancestors(scope):
            for i in [*serving.get(path, ()), *(home.get(path, ()) if no_point else ())]:
                areas[i, j] = True
    nan = float("nan")
    return hm.Volunteers(
        lat=np.array([v.lat if v.lat is not None else nan for v in volunteers]),
        lon=np.array([v.lon if v.lon is not None else nan for v in volunteers]),
        radius_km=np.array([v.radius_km for v in volunteers]),
        areas=areas,
        lang_mask=np.array([rules.lang_mask(v.languages) for v in volunteers], dtype=np.int64),
        skill_mask=np.array([rules.skill_mask(v.skills) for v in volunteers], dtype=np.int64),
        vetted=np.array([is_vetted(v, now) for v in volunteers]),
        load=np.array([busy.get(v.id, 0) for v in volunteers], dtype=np.int64),
        capacity=np.array([v.capacity for v in volunteers], dtype=np.int64),
        delivered=np.array([v.completed for v in volunteers], dtype=np.int64),
        failed=np.array([v.failed for v in volunteers], dtype=np.int64),
        availability=np.stack([shifts.slot_cells(shifts.load_slots(v.slots))
                               for v in volunteers]),
    )


def assign_directly(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, request_id: int,
                    volunteer_id: int, rules: HelpRules) -> HelpOffer:
    """A coordinator picks a volunteer of the request's community: an offer they accept (or
    decline) like a matched one; the safeguarding filters still hold."""
    s, now = uow.session, rt.now()
    req = s.get(HelpRequest, request_id)
    vol = s.get(Volunteer, volunteer_id)
    if req is None or vol is None:
        raise NotFound("no such request or volunteer")
    require(principal, "community.help.assign", Target(scope=req.scope))
    if HelpStatus(req.status) not in (HelpStatus.OPEN, HelpStatus.OFFERED, HelpStatus.ESCALATED):
        raise InputError([Problem("request", f"it is {req.status}")])
    problems = []
    if rules.needs_vetting(req.vulnerable) and not is_vetted(vol, now):
        problems.append(Problem("volunteer", "not vetted (or the vetting expired)"))
    home = community_path(req.scope)
    if home is None or community_path(vol.scope) != home:
        problems.append(Problem("volunteer", "serves another community"))
    if not vol.active or vol.vetting_state in (Vetting.REJECTED, Vetting.SUSPENDED):
        problems.append(Problem("volunteer", f"not active ({vol.vetting_state})"))
    busy = s.scalar(select(func.count()).select_from(HelpOffer).where(
        HelpOffer.volunteer_id == vol.id,
        HelpOffer.state.in_([OfferState.OFFERED, OfferState.ACCEPTED]))) or 0
    if busy >= vol.capacity:
        problems.append(Problem("volunteer", "has no free capacity"))
    if problems:
        raise InputError(problems, source="assignment")
    # An offer the volunteer still accepts: until then they see no contact details.
    offer = HelpOffer(request_id=req.id, volunteer_id=vol.id, scope=req.scope, via="coordinator",
                      score=0.0, state=OfferState.OFFERED.value, offered_at=now,
                      expires_at=now + rules.ttl(req.urgency))
    s.add(offer)
    if req.status == HelpStatus.ESCALATED:
        req.status = HelpStatus.OPEN.value
    s.flush()
    tell_offers(s, [offer], now)
    refresh_status(s, req, now)
    audit.record(s, principal, kind=AuditKind.WRITE, action="community.help.assign",
                 record_type="help_request", record_id=req.id, scope=req.scope,
                 detail={"volunteer": vol.id})
    uow.commit()
    return offer
