"""JSON API of work orders and hotline cases under ``/api/community/cases``.

Routes are thin: they parse, call a service (which asks the policy), and shape the answer
with one schema per purpose, so the reporter's identity can never leak into a case view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from rescity.community.cases import from_alerts
from rescity.community.cases import handlers as handler_staff
from rescity.community.cases import services as work_orders
from rescity.community.cases import sweep as case_sweep
from rescity.community.cases.adapters import Handler, WorkOrder
from rescity.community.cases.deps import Runtime
from rescity.community.cases.domain import OPEN_STATUSES, CaseStatus, Channel, HandlerKind
from rescity.community.cases.runtime import OpsRuntime
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, PermissionDenied, Problem
from rescity.core.places import get_place
from rescity.core.security.policy import Principal, is_allowed
from rescity.web.deps import CurrentPrincipal, UoW, allow

router = APIRouter(prefix="/api/community", tags=["community: cases"])


class CaseCreate(BaseModel):
    service_code: str = Field(max_length=40)
    place: str = Field(max_length=64, description="code of the grid or community")
    description: str = Field(default="", max_length=4000)
    lat: float | None = None
    lon: float | None = None
    address: str = Field(default="", max_length=300)
    media: list[str] = Field(default_factory=list, max_length=10)
    attributes: dict[str, str] = Field(default_factory=dict)
    anonymous: bool = False
    channel: Literal["resident", "grid_worker", "hotline"] = "resident"
    caller_name: str = Field(default="", max_length=100)
    caller_phone: str = Field(default="", max_length=40)


class HandlerPublic(BaseModel):
    code: str
    kind: str
    name: str


class CasePublic(BaseModel):
    id: int
    service_code: str
    service_name: str
    status: str
    level: str
    description: str
    address: str
    lat: float | None
    lon: float | None
    media: list[str]
    attributes: dict[str, object]
    channel: str
    anonymous: bool
    handler: HandlerPublic | None
    created_at: datetime
    deadline_at: datetime
    overdue: bool
    escalation_level: int
    urge_count: int
    reopen_count: int
    duplicate_of_id: int | None
    merged_into_id: int | None
    resolution: str
    evidence: list[str]
    rating: int | None
    rating_comment: str
    reported_by_me: bool
    version: int


def case_public(case: WorkOrder, rt: OpsRuntime, principal: Principal,
                handler: Handler | None, lang: str = "zh") -> CasePublic:
    case_type = rt.levels.types.get(case.service_code)
    return CasePublic(
        id=case.id, service_code=case.service_code,
        service_name=case_type.name(lang) if case_type else case.service_code,
        status=case.status, level=case.level, description=case.description,
        address=case.address, lat=case.lat, lon=case.lon, media=case.media,
        attributes=case.attributes, channel=case.channel, anonymous=case.anonymous,
        handler=HandlerPublic(code=handler.code, kind=handler.kind, name=handler.name(lang))
        if handler else None,
        created_at=case.created_at, deadline_at=case.deadline_at,
        overdue=CaseStatus(case.status) in OPEN_STATUSES and case.deadline_at < rt.now(),
        escalation_level=case.escalation_level, urge_count=case.urge_count,
        reopen_count=case.reopen_count, duplicate_of_id=case.duplicate_of_id,
        merged_into_id=case.merged_into_id, resolution=case.resolution, evidence=case.evidence,
        rating=case.rating, rating_comment=case.rating_comment,
        reported_by_me=case.reporter_id == principal.user_id, version=case.version,
    )


def _one(uow: UoW, rt: OpsRuntime, principal: Principal, case: WorkOrder) -> CasePublic:
    handler = uow.session.get(Handler, case.handler_id) if case.handler_id else None
    return case_public(case, rt, principal, handler)


@router.post("/cases", status_code=status.HTTP_201_CREATED)
def create_case(body: CaseCreate, uow: UoW, rt: Runtime, principal: CurrentPrincipal
                ) -> CasePublic:
    place = get_place(uow.session, body.place)
    contact = {"name": body.caller_name, "phone": body.caller_phone}
    data = work_orders.CaseInput(
        service_code=body.service_code, description=body.description, lat=body.lat,
        lon=body.lon, address=body.address, media=tuple(body.media),
        attributes=body.attributes, anonymous=body.anonymous,
        contact=contact if body.channel != "resident" else {},
    )
    case = work_orders.file_case(uow, rt, principal, data, scope=place.path,
                                 channel=Channel(body.channel))
    return _one(uow, rt, principal, case)


@router.get("/cases")
def list_cases(
    uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    status_: Annotated[list[str] | None, Query(alias="status")] = None,
    service_code: str | None = None, handler: str | None = None, overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CasePublic]:
    f = case_sweep.CaseFilter(status=tuple(status_ or ()), service_code=service_code,
                              handler=handler, overdue=overdue, limit=limit, offset=offset)
    rows = case_sweep.list_cases(uow.session, rt, principal, f)
    handlers = {h.id: h for h in uow.session.scalars(
        select(Handler).where(Handler.id.in_({c.handler_id for c in rows if c.handler_id})))}
    out = [case_public(c, rt, principal, handlers.get(c.handler_id or 0)) for c in rows]
    audit.record(uow.session, principal, kind=AuditKind.READ, action="community.case.read",
                 record_type="case", record_id=f"{len(out)} rows", purpose="case handling")
    uow.commit()
    return out


@router.get("/cases/{case_id}")
def read_case(case_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> CasePublic:
    case = work_orders.get_case(uow.session, principal, case_id, "community.case.read")
    out = _one(uow, rt, principal, case)
    audit.record(uow.session, principal, kind=AuditKind.READ, action="community.case.read",
                 record_type="case", record_id=out.id, scope=case.scope,
                 purpose="case handling")
    uow.commit()
    return out


class EventPublic(BaseModel):
    at: datetime
    kind: str
    actor: str
    note: str
    detail: dict[str, object]


@router.get("/cases/{case_id}/history")
def case_history(case_id: int, uow: UoW, principal: CurrentPrincipal) -> list[EventPublic]:
    events = case_sweep.history(uow.session, principal, case_id)
    return [EventPublic(at=e.at, kind=e.kind, actor=e.actor, note=e.note, detail=e.detail)
            for e in events]


@router.get("/cases/{case_id}/reporter")
def case_reporter(case_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
                  purpose: str = "") -> dict[str, str]:
    """The reporter's contact, for a call-back: audited; never for anonymous reports."""
    case = work_orders.get_case(uow.session, principal, case_id, "community.case.read_reporter")
    allowed = is_allowed(principal, "community.case.read_reporter", work_orders.case_target(case))
    if not rt.fields.may_reveal("case", "reporter_contact", allowed=allowed, purpose=purpose):
        raise InputError([Problem("purpose", "state why: callback")])
    if case.anonymous:
        raise PermissionDenied("the reporter asked to stay anonymous")
    contact = work_orders.open_contact(rt, case)
    audit.record(uow.session, principal, kind=AuditKind.READ, action="community.case.read_reporter",
                 record_type="case", record_id=case.id, scope=case.scope, purpose=purpose)
    uow.commit()
    return contact


class DispatchBody(BaseModel):
    handler: str = Field(max_length=64)
    note: str = Field(default="", max_length=2000)


class NoteBody(BaseModel):
    note: str = Field(default="", max_length=2000)


class ReferBody(BaseModel):
    reason: str = Field(max_length=2000)
    handler: str | None = Field(default=None, max_length=64)


class MergeBody(BaseModel):
    into: int


class ResolveBody(BaseModel):
    resolution: str = Field(max_length=2000)
    evidence: list[str] = Field(max_length=20)


class RateBody(BaseModel):
    rating: int
    comment: str = Field(default="", max_length=500)


class ReasonBody(BaseModel):
    reason: str = Field(max_length=2000)


@router.post("/cases/{case_id}/dispatch")
def dispatch_case(case_id: int, body: DispatchBody, uow: UoW, rt: Runtime,
                  principal: CurrentPrincipal) -> CasePublic:
    case = work_orders.dispatch(uow, rt, principal, case_id, body.handler, body.note)
    return _one(uow, rt, principal, case)


@router.post("/cases/{case_id}/accept")
def accept_case(case_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> CasePublic:
    return _one(uow, rt, principal, work_orders.accept(uow, rt, principal, case_id))


@router.post("/cases/{case_id}/urge")
def urge_case(case_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
              body: NoteBody | None = None) -> CasePublic:
    note = body.note if body else ""
    return _one(uow, rt, principal, work_orders.urge(uow, rt, principal, case_id, note))


@router.post("/cases/{case_id}/refer")
def refer_case(case_id: int, body: ReferBody, uow: UoW, rt: Runtime,
               principal: CurrentPrincipal) -> CasePublic:
    case = work_orders.refer(uow, rt, principal, case_id, reason=body.reason,
                             handler_code=body.handler)
    return _one(uow, rt, principal, case)


@router.post("/cases/{case_id}/merge")
def merge_case(case_id: int, body: MergeBody, uow: UoW, rt: Runtime,
               principal: CurrentPrincipal) -> CasePublic:
    return _one(uow, rt, principal, work_orders.merge(uow, rt, principal, case_id, body.into))


@router.post("/cases/{case_id}/resolve")
def resolve_case(case_id: int, body: ResolveBody, uow: UoW, rt: Runtime,
                 principal: CurrentPrincipal) -> CasePublic:
    case = work_orders.resolve(uow, rt, principal, case_id, resolution=body.resolution,
                               evidence=body.evidence)
    return _one(uow, rt, principal, case)


@router.post("/cases/{case_id}/rate")
def rate_case(case_id: int, body: RateBody, uow: UoW, rt: Runtime,
              principal: CurrentPrincipal) -> CasePublic:
    case = work_orders.rate(uow, rt, principal, case_id, rating=body.rating,
                            comment=body.comment)
    return _one(uow, rt, principal, case)


@router.post("/cases/{case_id}/reopen")
def reopen_case(case_id: int, body: ReasonBody, uow: UoW, rt: Runtime,
                principal: CurrentPrincipal) -> CasePublic:
    return _one(uow, rt, principal, work_orders.reopen(uow, rt, principal, case_id,
                                                       reason=body.reason))


class FromAlert(BaseModel):
    service_code: str = Field(max_length=40)
    description: str = Field(default="", max_length=4000)


@router.post("/alerts/{alert_id}/case", status_code=status.HTTP_201_CREATED)
def case_from_alert(alert_id: int, body: FromAlert, uow: UoW, rt: Runtime,
                    principal: CurrentPrincipal) -> CasePublic:
    """File a work order for an alert (idempotent: the same alert gives the same case)."""
    case = from_alerts.case_from_alert(uow, rt, principal, alert_id,
                                       service_code=body.service_code,
                                       description=body.description)
    return _one(uow, rt, principal, case)


class SweepPublic(BaseModel):
    escalated: int
    alerts: int
    closed: int


@router.post("/case-sweep")
def run_sweep(uow: UoW, rt: Runtime,
              _: Annotated[Principal, Depends(allow("community.case.sweep"))]) -> SweepPublic:
    r = case_sweep.sweep(uow, rt)
    return SweepPublic(escalated=r.escalated, alerts=r.alerts, closed=r.closed)


class ScorePublic(BaseModel):
    handler: HandlerPublic
    month: str
    due: int
    on_time: int
    late: int
    open_overdue: int
    on_time_rate: float | None
    reopen_rate: float | None
    mean_rating: float | None
    deductions: dict[str, float]
    points: float


@router.get("/case-scores")
def case_scores(uow: UoW, rt: Runtime, principal: CurrentPrincipal,
                month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")],
                lang: str = "zh") -> list[ScorePublic]:
    rows = case_sweep.scores(uow.session, rt, principal, month)
    return [
        ScorePublic(
            handler=HandlerPublic(code=h.code, kind=h.kind, name=h.name(lang)), month=r.month,
            due=r.due, on_time=r.on_time, late=r.late, open_overdue=r.open_overdue,
            on_time_rate=r.on_time_rate, reopen_rate=r.reopen_rate, mean_rating=r.mean_rating,
            deductions=r.deductions, points=r.points,
        )
        for h, r in rows
    ]


class HandlerCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    kind: HandlerKind
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    place: str = Field(max_length=64)


@router.post("/handlers", status_code=status.HTTP_201_CREATED)
def create_handler(body: HandlerCreate, uow: UoW, principal: CurrentPrincipal) -> HandlerPublic:
    place = get_place(uow.session, body.place)
    h = handler_staff.add_handler(uow, principal, code=body.code, kind=body.kind,
                                name_zh=body.name_zh, name_en=body.name_en, place=place)
    return HandlerPublic(code=h.code, kind=h.kind, name=h.name_zh)


class HandlerMemberIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    supervises: bool = False  # told when the handler's cases escalate past level 1


@router.post("/handlers/{code}/members", status_code=status.HTTP_201_CREATED)
def add_handler_member(code: str, body: HandlerMemberIn, uow: UoW,
                       principal: CurrentPrincipal) -> dict[str, str]:
    """Let a user act for a handler (accept, refer and resolve its cases)."""
    handler_staff.add_member(uow, principal, code, body.username, supervises=body.supervises)
    return {"handler": code, "username": body.username}


@router.get("/handlers/{code}/members")
def list_handler_members(code: str, uow: UoW, principal: CurrentPrincipal) -> list[str]:
    """The usernames acting for a handler (for those who staff it)."""
    return [u.username for u in handler_staff.members(uow.session, principal, code)]


@router.delete("/handlers/{code}/members/{username}", status_code=status.HTTP_204_NO_CONTENT)
def remove_handler_member(code: str, username: str, uow: UoW,
                          principal: CurrentPrincipal) -> Response:
    """Unlink a user from a handler: its cases no longer reach them."""
    handler_staff.remove_member(uow, principal, code, username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/handlers")
def list_handlers(uow: UoW, principal: CurrentPrincipal) -> list[HandlerPublic]:
    del principal  # any signed-in user may see who handles cases (no personal data)
    rows = uow.session.scalars(select(Handler).where(Handler.active.is_(True))
                               .order_by(Handler.code))
    return [HandlerPublic(code=h.code, kind=h.kind, name=h.name_zh) for h in rows]
