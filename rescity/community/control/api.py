"""JSON API of building control statuses under ``/api/community/control``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from rescity.community.control import permits, services
from rescity.community.control.adapters import ControlStatus, ExitPermit
from rescity.community.control.domain import status_kinds
from rescity.community.shared.deps import Rt
from rescity.community.shared.schemas import In
from rescity.core.security.policy import Principal
from rescity.web.deps import CurrentPrincipal, UoW, allow

router = APIRouter(prefix="/api/community/control", tags=["community: control status"])
Reader = Annotated[Principal, Depends(allow("community.control.read"))]


class StatusKindPublic(BaseModel):
    key: str
    label_zh: str
    label_en: str
    gate: str
    exits_per_day: int
    delivery: str
    colour: str




class StatusCreate(In):
    place: str = Field(max_length=64, description="place code: a grid, or any place above")
    status: str = Field(max_length=30)
    building: str = Field(default="", max_length=40, description="empty: the whole place")
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    note: str = Field(default="", max_length=500)


class StatusPublic(BaseModel):
    id: int
    place_id: int
    building: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    note: str
    set_at: datetime
    lifted_at: datetime | None


class BuildingPublic(BaseModel):
    grid: str
    building: str
    households: int
    status: str | None
    status_id: int | None
    ends_at: datetime | None
    cases: int | None


def _public(row: ControlStatus) -> StatusPublic:
    return StatusPublic(id=row.id, place_id=row.place_id, building=row.building,
                        status=row.status, starts_at=row.starts_at, ends_at=row.ends_at,
                        note=row.note, set_at=row.set_at, lifted_at=row.lifted_at)


@router.get("/kinds")
def kinds(principal: Reader) -> list[StatusKindPublic]:
    return [StatusKindPublic(key=k.key, label_zh=k.label_zh, label_en=k.label_en,
                             gate=k.gate.value, exits_per_day=k.exits_per_day,
                             delivery=k.delivery.value, colour=k.colour)
            for k in status_kinds().values()]


@router.post("", status_code=status.HTTP_201_CREATED)
def set_status(body: StatusCreate, uow: UoW, rt: Rt,
               principal: CurrentPrincipal) -> StatusPublic:
    return _public(services.set_status(uow, principal, rt.now(),
                                       services.NewStatus(**body.model_dump())))


@router.post("/{status_id}/lift")
def lift_status(status_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> StatusPublic:
    return _public(services.lift_status(uow, principal, rt.now(), status_id))


@router.get("")
def list_statuses(uow: UoW, rt: Rt, principal: Reader, all: bool = False) -> list[StatusPublic]:
    rows = services.list_statuses(uow.session, principal, rt.now(), current_only=not all)
    return [_public(r) for r in rows]


@router.get("/buildings")
def buildings(uow: UoW, rt: Rt, principal: Reader) -> list[BuildingPublic]:
    return [BuildingPublic(grid=r.grid, building=r.building, households=r.households,
                           status=r.status.key if r.status else None, status_id=r.status_id,
                           ends_at=r.ends_at, cases=r.cases)
            for r in services.building_board(uow, principal, rt.now())]


class PermitCreate(In):
    resident_id: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field(max_length=30, description="medical, work, care or other")
    valid_from: datetime | None = None
    valid_until: datetime


class PermitPublic(BaseModel):
    id: int
    resident_id: int
    reason: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None


def _permit(p: ExitPermit) -> PermitPublic:
    return PermitPublic(id=p.id, resident_id=p.resident_id, reason=p.reason,
                        valid_from=p.valid_from, valid_until=p.valid_until,
                        revoked_at=p.revoked_at)


@router.post("/permits", status_code=status.HTTP_201_CREATED)
def issue_permit(body: PermitCreate, uow: UoW, rt: Rt,
                 principal: CurrentPrincipal) -> PermitPublic:
    return _permit(permits.issue_permit(uow, principal, rt.now(), **body.model_dump()))


@router.post("/permits/{permit_id}/revoke")
def revoke_permit(permit_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> PermitPublic:
    return _permit(permits.revoke_permit(uow, principal, rt.now(), permit_id))


def routers() -> list[APIRouter]:
    """This capability's routers (API and pages), for ``rescity/web/modules.py``."""
    from rescity.community.control import pages

    return [router, pages.router]
