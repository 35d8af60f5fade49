"""Work orders and hotline cases: file, dispatch, accept, urge, refer, merge, resolve, rate,
reopen. Every step checks the policy, appends to the case's history and to the audit log in
the same transaction, and then the unit of work commits.

Cases come from residents, grid workers (also for hotline callers), Open311 clients, alerts
and sensor rules. :func:`file_case_in` does the work inside a caller's transaction so that
the sensor consumer can file cases in its own batch.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rescity.community.alerts.raising import ancestors
from rescity.community.cases import domain as wo
from rescity.community.cases import photos as case_photos
from rescity.community.cases.adapters import CaseEvent, Handler, WorkOrder
from rescity.community.cases.domain import CaseStatus, Channel, Spot
from rescity.community.cases.handlers import require_handler
from rescity.community.cases.notify import case_changed
from rescity.community.cases.photos import CleanPhoto
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.shared.errors import BadTransition
from rescity.community.shared.location import place_of_point
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, Problem
from rescity.core.places import Place
from rescity.core.security.policy import Principal, Target, is_allowed, require
from rescity.core.storage.uow import UnitOfWork

CONTACT_CONTEXT = "case.reporter_contact"


@dataclass(frozen=True)
class CaseInput:
    service_code: str
    description: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    media: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    anonymous: bool = False
    public: bool = False
    contact: dict[str, str] = field(default_factory=dict)  # first/last name, email, phone
    source_ref: str = ""
    dedup_key: str | None = None


def validate(data: CaseInput, levels: wo.ServiceLevels) -> tuple[wo.CaseType, dict[str, Any]]:
    """Check everything at once; returns the case type and the normalised attributes."""
    problems: list[Problem] = []
    case_type: wo.CaseType | None = None
    try:
        case_type = levels.case_type(data.service_code)
    except InputError as exc:
        problems.extend(exc.problems)
    if len(data.description) > 4000:
        problems.append(Problem("description", "at most 4000 characters"))
    if (data.lat is None) != (data.lon is None):
        problems.append(Problem("lat/long", "give both or neither"))
    if data.lat is not None and not -90 <= data.lat <= 90:
        problems.append(Problem("lat", "must be between -90 and 90"))
    if data.lon is not None and not -180 <= data.lon <= 180:
        problems.append(Problem("long", "must be between -180 and 180"))
    if len(data.address) > 300:
        problems.append(Problem("address_string", "at most 300 characters"))
    for i, url in enumerate(data.media):
        if not url.startswith(("https://", "http://")) or len(url) > 500:
            problems.append(Problem(f"media_url[{i}]", "must be an http(s) URL"))
    attributes: dict[str, Any] = {}
    if case_type is not None:
        try:
            attributes = wo.validate_attributes(case_type, dict(data.attributes))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems, source="case")
    assert case_type is not None
    return case_type, attributes


def actor_name(principal: Principal | None, fallback: str = "system") -> str:
    return principal.username if principal is not None else fallback


def add_event(
    session: Session, case: WorkOrder, kind: str, now: datetime, *,
    principal: Principal | None = None, actor: str | None = None, note: str = "",
    detail: dict[str, Any] | None = None,
) -> CaseEvent:
    ev = CaseEvent(
        case_id=case.id, scope=case.scope, at=now, kind=kind,
        actor_id=principal.user_id if principal else None,
        actor=actor or actor_name(principal), handler_id=case.handler_id, note=note[:2000],
        detail=detail or {},
    )
    session.add(ev)
    case_changed(session, case, kind, now, principal.user_id if principal else None)
    return ev


def handler_for(session: Session, kind: wo.HandlerKind, scope: str) -> Handler | None:
    """The active handler of ``kind`` serving the nearest place that contains ``scope``."""
    found = session.scalars(
        select(Handler).where(
            Handler.kind == kind.value, Handler.active.is_(True),
            Handler.scope.in_(ancestors(scope)),
        )
    ).all()
    return max(found, key=lambda h: (len(h.scope), -h.id)) if found else None


def find_duplicate(session: Session, case: WorkOrder, levels: wo.ServiceLevels) -> int | None:
    since = case.created_at - levels.duplicate_window
    rows = session.scalars(
        select(WorkOrder).where(
            WorkOrder.service_code == case.service_code, WorkOrder.created_at >= since,
            WorkOrder.status.in_([s.value for s in wo.OPEN_STATUSES]), WorkOrder.id != case.id,
        ).limit(500)
    ).all()
    return wo.best_duplicate(
        _spot(case), [_spot(r) for r in rows],
        radius_m=levels.duplicate_radius_m, window=levels.duplicate_window,
    )


def _spot(c: WorkOrder) -> Spot:
    return Spot(c.id, c.service_code, c.created_at, c.lat, c.lon, c.address)


def file_case_in(
    session: Session, rt: OpsRuntime, data: CaseInput, *, scope: str, channel: Channel,
    now: datetime, principal: Principal | None = None, reporter_id: int | None = None,
    actor: str | None = None, open311_client_id: int | None = None,
) -> WorkOrder:
    """Create, detect a duplicate and auto-dispatch inside the caller's transaction."""
    case_type, attributes = validate(data, rt.levels)
    contact = {k: v.strip()[:200] for k, v in data.contact.items() if v and v.strip()}
    case = WorkOrder(
        scope=scope, service_code=case_type.code, level=case_type.level.name,
        description=data.description.strip(), attributes=attributes, media=list(data.media),
        lat=data.lat, lon=data.lon, address=data.address.strip(), channel=channel.value,
        source_ref=data.source_ref[:100], dedup_key=data.dedup_key, reporter_id=reporter_id,
        reporter_contact_sealed=(
            rt.cipher.seal(json.dumps(contact, ensure_ascii=False), context=CONTACT_CONTEXT)
            if contact else None
        ),
        anonymous=data.anonymous, public=data.public, open311_client_id=open311_client_id,
        token=secrets.token_urlsafe(12), status=CaseStatus.SUBMITTED.value, created_at=now,
        updated_at=now, deadline_at=wo.deadline(case_type, now),
    )
    session.add(case)
    session.flush()
    case.duplicate_of_id = find_duplicate(session, case, rt.levels)
    add_event(session, case, "created", now, principal=principal, actor=actor,
              detail={"channel": channel.value, "duplicate_of": case.duplicate_of_id})
    if rt.levels.auto_dispatch:
        handler = handler_for(session, case_type.handler, scope)
        if handler is not None:
            _dispatch(session, case, handler, now, principal=None, actor="auto-dispatch")
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.case.create",
                 record_type="case", record_id=case.id, scope=scope,
                 detail={"channel": channel.value, **({"by": actor} if actor else {})})
    return case


def file_case(
    uow: UnitOfWork, rt: OpsRuntime, principal: Principal, data: CaseInput, *, scope: str,
    channel: Channel, photos: Sequence[CleanPhoto] = (),
) -> WorkOrder:
    """A resident files for themselves; a grid worker for a hotline caller or from a patrol.

    ``photos`` (already checked and cleaned, see :mod:`~rescity.community.cases.photos`) are
    stored with the case in the same transaction: if it fails, their files are removed."""
    now = rt.now()
    if channel == Channel.RESIDENT:
        require(principal, "community.case.create", Target(scope=scope, owner_id=principal.user_id))
        reporter: int | None = principal.user_id
    elif channel in (Channel.GRID_WORKER, Channel.HOTLINE):
        require(principal, "community.case.file_for_others", Target(scope=scope))
        reporter = None
    else:
        raise InputError([Problem("channel", "resident, grid_worker or hotline")])
    # With coordinates the case goes to the innermost place containing them, inside the place
    # it was filed for (a grid of the community, so the grid's worker and handler get it).
    area = uow.session.scalar(select(Place).where(Place.path == scope))
    located = place_of_point(uow.session, data.lat, data.lon, within=area)
    case = file_case_in(uow.session, rt, data, scope=located.path if located else scope,
                        channel=channel, now=now, principal=principal, reporter_id=reporter)
    written = case_photos.store(uow.session, rt.settings.data_dir, case, list(photos),
                                user_id=principal.user_id)
    try:
        uow.commit()
    except BaseException:
        case_photos.remove(written)
        raise
    return case


def case_target(case: WorkOrder) -> Target:
    return Target(scope=case.scope, owner_id=case.reporter_id)


def get_case(session: Session, principal: Principal | None, case_id: int, action: str) -> WorkOrder:
    """The case if ``action`` is allowed on it; hidden cases answer 404, not 403."""
    case = session.get(WorkOrder, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    target = case_target(case)
    if not is_allowed(principal, action, target) and not is_allowed(
        principal, "community.case.read", target
    ):
        raise NotFound(f"no case {case_id}")
    require(principal, action, target)
    return case


def _check_step(case: WorkOrder, step: str) -> None:
    if CaseStatus(case.status) not in wo.STEPS[step]:
        raise BadTransition(f"cannot {step} case {case.id}: it is {case.status}")


def _dispatch(
    session: Session, case: WorkOrder, handler: Handler, now: datetime, *,
    principal: Principal | None, actor: str | None = None, note: str = "",
) -> None:
    case.handler_id = handler.id
    case.status = CaseStatus.DISPATCHED.value
    case.dispatched_at = now
    case.accepted_at = None
    case.updated_at = now
    add_event(session, case, "dispatched", now, principal=principal, actor=actor, note=note,
              detail={"handler": handler.code})


def _finish(uow: UnitOfWork, principal: Principal | None, case: WorkOrder, action: str,
            detail: dict[str, Any] | None = None) -> WorkOrder:
    audit.record(uow.session, principal, kind=AuditKind.WRITE, action=action,
                 record_type="case", record_id=case.id, scope=case.scope, detail=detail)
    try:
        uow.commit()
    except StaleDataError:
        raise Conflict(f"case {case.id} was changed by someone else; reload and retry") from None
    return case


def dispatch(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, case_id: int,
             handler_code: str, note: str = "") -> WorkOrder:
    s = uow.session
    case = get_case(s, principal, case_id, "community.case.dispatch")
    _check_step(case, "dispatch")
    handler = s.scalar(select(Handler).where(Handler.code == handler_code))
    if handler is None or not handler.active:
        raise InputError([Problem("handler", f"no active handler '{handler_code}'")])
    _dispatch(s, case, handler, rt.now(), principal=principal, note=note)
    return _finish(uow, principal, case, "community.case.dispatch", {"handler": handler_code})


def accept(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, case_id: int) -> WorkOrder:
    case = get_case(uow.session, principal, case_id, "community.case.update")
    require_handler(uow.session, principal, case)
    _check_step(case, "accept")
    now = rt.now()
    case.status, case.accepted_at, case.updated_at = CaseStatus.IN_PROGRESS.value, now, now
    add_event(uow.session, case, "accepted", now, principal=principal)
    return _finish(uow, principal, case, "community.case.accept")


def urge(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, case_id: int,
         note: str = "") -> WorkOrder:
    """催办: a supervisor presses the handler; counted against the handler in the scoring."""
    case = get_case(uow.session, principal, case_id, "community.case.urge")
    _check_step(case, "urge")
    now = rt.now()
    case.urge_count += 1
    case.updated_at = now
    add_event(uow.session, case, "urged", now, principal=principal, note=note)
    return _finish(uow, principal, case, "community.case.urge")


def refer(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, case_id: int, *,
          reason: str, handler_code: str | None = None) -> WorkOrder:
    """"Not our responsibility": pass the case on, or back to the dispatcher. The deadline
    keeps running from the report."""
    if not reason.strip():
        raise InputError([Problem("reason", "say why the case is not yours")])
    s = uow.session
    case = get_case(s, principal, case_id, "community.case.update")
    require_handler(s, principal, case)
    _check_step(case, "refer")
    now = rt.now()
    target: Handler | None = None
    if handler_code:
        target = s.scalar(select(Handler).where(Handler.code == handler_code))
        if target is None or not target.active or target.id == case.handler_id:
            raise InputError([Problem("handler", f"no other active handler '{handler_code}'")])
    add_event(s, case, "referred", now, principal=principal, note=reason,
              detail={"to": handler_code})
    if target is not None:
        _dispatch(s, case, target, now, principal=principal, note=reason)
    else:
        case.handler_id, case.status, case.updated_at = None, CaseStatus.SUBMITTED.value, now
    return _finish(uow, principal, case, "community.case.refer", {"to": handler_code})


def merge(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, case_id: int,
          into_id: int) -> WorkOrder:
    """Fold a duplicate into the case that stays open; both histories say so."""
    s = uow.session
    dup = get_case(s, principal, case_id, "community.case.merge")
    into = get_case(s, principal, into_id, "community.case.merge")
    if dup.id == into.id:
        raise InputError([Problem("into", "a case cannot be merged into itself")])
    _check_step(dup, "merge")
    if CaseStatus(into.status) not in wo.OPEN_STATUSES:
        raise BadTransition(f"case {into.id} is {into.status}; merge into an open case")
    now = rt.now()
    dup.status, dup.merged_into_id, dup.closed_at, dup.updated_at = (
        CaseStatus.MERGED.value, into.id, now, now)
    add_event(s, dup, "merged", now, principal=principal, detail={"into": into.id})
    add_event(s, into, "absorbed", now, principal=principal, detail={"from": dup.id})
    into.updated_at = now
    return _finish(uow, principal, dup, "community.case.merge", {"into": into.id})


def resolve(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, case_id: int, *,
            resolution: str, evidence: list[str]) -> WorkOrder:
    """Close the work with evidence (photos, a document reference): no evidence, no closure."""
    problems = []
    if not resolution.strip():
        problems.append(Problem("resolution", "say what was done"))
    if not evidence or any(not e.strip() or len(e) > 500 for e in evidence):
        problems.append(Problem("evidence", "at least one photo URL or document reference"))
    if problems:
        raise InputError(problems, source="resolution")
    case = get_case(uow.session, principal, case_id, "community.case.update")
    require_handler(uow.session, principal, case)
    _check_step(case, "resolve")
    now = rt.now()
    case.status, case.resolved_at, case.updated_at = CaseStatus.RESOLVED.value, now, now
    case.resolution, case.evidence = resolution.strip()[:2000], [e.strip() for e in evidence]
    add_event(uow.session, case, "resolved", now, principal=principal, note=case.resolution,
              detail={"evidence": case.evidence, "on_time": now <= case.deadline_at})
    return _finish(uow, principal, case, "community.case.resolve")


def rate(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, case_id: int, *,
         rating: int, comment: str = "") -> WorkOrder:
    if not 1 <= rating <= 5:
        raise InputError([Problem("rating", "1 to 5")])
    case = get_case(uow.session, principal, case_id, "community.case.rate")
    _check_step(case, "rate")
    now = rt.now()
    case.rating, case.rating_comment = rating, comment.strip()[:500]
    case.status, case.closed_at, case.updated_at = CaseStatus.CLOSED.value, now, now
    add_event(uow.session, case, "rated", now, principal=principal, note=case.rating_comment,
              detail={"rating": rating})
    return _finish(uow, principal, case, "community.case.rate", {"rating": rating})


def reopen(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, case_id: int, *,
           reason: str) -> WorkOrder:
    """The reporter is not satisfied: back to the handler with a fresh deadline."""
    if not reason.strip():
        raise InputError([Problem("reason", "say what is still wrong")])
    case = get_case(uow.session, principal, case_id, "community.case.reopen")
    _check_step(case, "reopen")
    now = rt.now()
    if case.resolved_at is None or now - case.resolved_at > rt.levels.reopen_window:
        days = rt.levels.reopen_window / timedelta(days=1)
        raise BadTransition(f"case {case.id} can be reopened within {days:g} days of resolution")
    case_type = rt.levels.case_type(case.service_code)
    case.reopen_count += 1
    case.status = (CaseStatus.DISPATCHED if case.handler_id else CaseStatus.SUBMITTED).value
    case.resolved_at = case.closed_at = case.accepted_at = None
    case.rating, case.escalation_level = None, 0
    case.deadline_at, case.updated_at = wo.deadline(case_type, now), now
    add_event(uow.session, case, "reopened", now, principal=principal, note=reason.strip())
    return _finish(uow, principal, case, "community.case.reopen")


def open_contact(rt: OpsRuntime, case: WorkOrder) -> dict[str, str]:
    if not case.reporter_contact_sealed:
        return {}
    data: dict[str, str] = json.loads(
        rt.cipher.open(case.reporter_contact_sealed, context=CONTACT_CONTEXT)
    )
    return data


