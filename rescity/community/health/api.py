"""The check-in API under ``/api/community``: the hot check-in submission, the lists of
check-ins and of who is missing today, and the sweep that raises missed-check-in alerts."""


from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from rescity.community.health import services as checkins
from rescity.community.health.domain import RiskQuestion, Symptom
from rescity.community.shared.deps import (
    Grid,
    IdempotencyKeyHeader,
    Rt,
    allow_any,
)
from rescity.community.shared.lean import REPLAYED, SubmissionRoute, answer, idem_of
from rescity.community.shared.schemas import MAX_ID, In
from rescity.core.security.policy import Principal
from rescity.web.deps import CurrentCaller, CurrentPrincipal, UoW, allow, run_submission


class CheckInCreate(In):
    temperature_c: float
    symptoms: list[Symptom] = Field(default_factory=list, max_length=10)
    risk: list[RiskQuestion] = Field(
        default_factory=list, max_length=5, description="Risk questions answered yes"
    )
    resident_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Omit for yourself"
    )


class CheckInPublic(BaseModel):
    id: int
    resident_id: int
    name: str
    day: date
    at: datetime
    temperature_c: float
    symptoms: list[str]
    risk: list[str]
    fever: bool


class MissingPublic(BaseModel):
    resident_id: int
    name: str
    dwelling: str


class SweepRequest(In):
    place: str = Field(max_length=64)


class SweepPublic(BaseModel):
    raised: int


router = APIRouter(prefix="/api/community", tags=["community"])
CheckinReader = Annotated[Principal, Depends(allow_any("community.checkin.read"))]


async def submit_checkin(
    body: CheckInCreate, caller: CurrentCaller, rt: Rt,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Temperature, symptoms and optional risk answers; no location is ever asked for."""
    data = checkins.NewCheckIn(
        temperature_c=body.temperature_c, symptoms=tuple(body.symptoms), risk=tuple(body.risk),
        resident_id=body.resident_id,
    )
    principal = caller.principal
    idem = idem_of(principal, idempotency_key, "checkin", body)
    return answer(await run_submission(
        caller.ctx, checkins.checkin_submitted(rt, principal, data, idem=idem)
    ))


router.add_api_route("/checkins", submit_checkin, methods=["POST"], status_code=201,
                     responses=REPLAYED, route_class_override=SubmissionRoute)



@router.get("/checkins")
def list_checkins(
    uow: UoW, rt: Rt, principal: CheckinReader, day: date | None = None, fever: bool = False
) -> list[CheckInPublic]:
    rows = checkins.list_checkins(uow, rt, principal, day=day, fever_only=fever)
    return [CheckInPublic.model_validate(asdict(r)) for r in rows]


@router.get("/checkins/missing")
def missing_checkins(
    uow: UoW, rt: Rt, principal: Annotated[Principal, Depends(allow("community.checkin.read"))],
    grid: Grid = None, day: date | None = None,
) -> list[MissingPublic]:
    """Who in your grid has not checked in today."""
    rows = checkins.missing(uow, rt, principal, grid_code=grid, day=day)
    return [MissingPublic(resident_id=m.resident_id, name=m.name, dwelling=m.dwelling)
            for m in rows]


@router.post("/alerts/sweep")
def sweep_missed(
    body: SweepRequest, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> SweepPublic:
    """Raise missed-check-in alerts in a place now (also run by `rescity community sweep`)."""
    return SweepPublic(raised=checkins.sweep(uow, rt, principal, place_code=body.place))
