"""The access API under ``/api/community``: the hot gate-scan submission, passes (a
resident's own and issued by staff), gates, gate events and visitors."""


from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from rescity.community.access import gate_log, visitors
from rescity.community.access import services as access
from rescity.community.access.domain import Direction
from rescity.community.shared.deps import (
    IdempotencyKeyHeader,
    Rt,
    allow_any,
)
from rescity.community.shared.lean import REPLAYED, SubmissionRoute, answer, idem_of
from rescity.community.shared.schemas import MAX_ID, In
from rescity.core.security.policy import Principal
from rescity.web.deps import CurrentCaller, CurrentPrincipal, UoW, run_submission


class PassIssue(In):
    resident_id: int | None = None
    days: int | None = Field(default=None, ge=1, le=366)


class PassPublic(BaseModel):
    id: int
    resident_id: int
    token: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class GateCreate(In):
    community: str = Field(max_length=64)
    code: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)


class GatePublic(BaseModel):
    id: int
    code: str
    name: str


class ScanCreate(In):
    gate: str = Field(max_length=64)
    direction: Direction
    token: str | None = Field(default=None, max_length=500)
    visitor_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class GateEventPublic(BaseModel):
    id: int
    gate: str
    at: datetime
    direction: str
    outcome: str
    resident_id: int | None
    visitor_id: int | None


class VisitorCreate(In):
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    purpose: str = Field(default="", max_length=200)
    expected_from: datetime
    expected_until: datetime
    host_resident_id: int | None = None


class VisitorPublic(BaseModel):
    id: int
    host_resident_id: int
    name: str
    phone: str | None
    purpose: str
    expected_from: datetime
    expected_until: datetime


router = APIRouter(prefix="/api/community", tags=["community"])
GateReader = Annotated[Principal, Depends(allow_any("community.gate.read"))]
VisitorReader = Annotated[Principal, Depends(allow_any("community.visitor.read"))]


async def record_scan(
    body: ScanCreate, caller: CurrentCaller, rt: Rt,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """A gate device or a guard's phone posts each scan; the answer says whether to admit."""
    scan = access.Scan(gate=body.gate, direction=body.direction, token=body.token,
                       visitor_id=body.visitor_id)
    principal = caller.principal
    idem = idem_of(principal, idempotency_key, "scan", body)
    return answer(await run_submission(
        caller.ctx, access.scan_recorded(rt, principal, scan, idem=idem)
    ))


router.add_api_route("/gate-events", record_scan, methods=["POST"], status_code=201,
                     responses=REPLAYED, route_class_override=SubmissionRoute)



@router.get("/me/pass")
def my_pass(uow: UoW, rt: Rt, principal: CurrentPrincipal) -> PassPublic:
    return PassPublic.model_validate(asdict(access.current_pass(uow, rt, principal)))


@router.get("/me/pass/qr.svg")
def my_pass_qr(uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    issued = access.current_pass(uow, rt, principal)
    return Response(access.qr_svg(issued.token), media_type="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


@router.post("/passes", status_code=201)
def issue_pass(body: PassIssue, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> PassPublic:
    issued = access.issue_pass(uow, rt, principal, body.resident_id, days=body.days)
    return PassPublic.model_validate(asdict(issued))


@router.post("/passes/{pass_id}/revoke", status_code=204)
def revoke_pass(pass_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    access.revoke_pass(uow, rt, principal, pass_id)
    return Response(status_code=204)


@router.post("/gates", status_code=201)
def create_gate(body: GateCreate, uow: UoW, principal: CurrentPrincipal) -> GatePublic:
    gate = access.create_gate(
        uow, principal, community_code=body.community, code=body.code, name=body.name
    )
    return GatePublic(id=gate.id, code=gate.code, name=gate.name)


@router.get("/gate-events")
def list_gate_events(
    uow: UoW, rt: Rt, principal: GateReader,
    hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24,
) -> list[GateEventPublic]:
    rows = gate_log.list_gate_events(uow, rt, principal, hours=hours)
    return [GateEventPublic.model_validate(asdict(r)) for r in rows]


@router.post("/visitors", status_code=201)
def register_visitor(
    body: VisitorCreate, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> VisitorPublic:
    v = visitors.register_visitor(uow, rt, principal, visitors.NewVisitor(
        name=body.name, phone=body.phone, purpose=body.purpose,
        expected_from=body.expected_from, expected_until=body.expected_until,
        host_resident_id=body.host_resident_id,
    ))
    return VisitorPublic.model_validate(asdict(v))


@router.get("/visitors")
def list_visitors(
    uow: UoW, rt: Rt, principal: VisitorReader,
    days: Annotated[int, Query(ge=1, le=31)] = 1,
) -> list[VisitorPublic]:
    return [VisitorPublic.model_validate(asdict(v))
            for v in visitors.list_visitors(uow, rt, principal, days=days)]
