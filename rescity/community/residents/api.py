"""The residents API under ``/api/community``: households, residents, care flags, quarantine,
invitations and self-registration, and a resident's own data (export, deletion request).
Thin: parse, call a service, shape.

Authorization: each route names its action (``allowed("...")``) and the services check the
record-level target; lists only contain rows inside the principal's places (or their own).
Submissions from phones (check-ins, gate scans) take an ``Idempotency-Key``; updates take
``If-Match`` with the ETag from the last read.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from rescity.community.access import services as access
from rescity.community.residents import households, privacy, registration
from rescity.community.residents import schemas as s
from rescity.community.residents import services as residents
from rescity.community.shared.deps import (
    ExpectedVersion,
    Grid,
    Rt,
    allow_any,
    etag,
)
from rescity.core.errors import NotFound
from rescity.core.security.policy import Principal, Target, require
from rescity.web.deps import CurrentPrincipal, UoW

router = APIRouter(prefix="/api/community", tags=["community"])

ResidentReader = Annotated[Principal, Depends(allow_any("community.resident.read"))]


def _resident(v: residents.ResidentView) -> s.ResidentPublic:
    data = asdict(v)
    data["revealed"] = list(v.revealed)
    return s.ResidentPublic.model_validate(data)


# --- households and residents ---------------------------------------------------------------


@router.post("/households", status_code=201)
def create_household(
    body: s.HouseholdCreate, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> s.HouseholdPublic:
    h = households.create_household(
        uow, rt, principal, grid_code=body.grid, building=body.building, unit=body.unit,
        room=body.room,
    )
    return s.HouseholdPublic(id=h.id, scope=h.scope)


@router.post("/residents", status_code=201)
def register_resident(
    body: s.ResidentCreate, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> s.ResidentPublic:
    """A grid worker registers anyone in their grid; a resident a member of their household."""
    data = residents.NewResident(
        name=body.name, phone=body.phone, national_id=body.national_id,
        birth_year=body.birth_year, relation=body.relation,
    )
    lives_at = residents.Address(**body.lives_at.model_dump()) if body.lives_at else None
    r = residents.register_resident(uow, rt, principal, household_id=body.household_id,
                                    data=data, lives_at=lives_at)
    return _resident(residents.view(uow.session, rt, principal, r, audit_read=False))


@router.get("/residents")
def list_residents(
    uow: UoW, rt: Rt, principal: ResidentReader, grid: Grid = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[s.ResidentPublic]:
    rows = residents.list_residents(uow, rt, principal, grid_code=grid, limit=limit)
    return [_resident(v) for v in rows]


@router.get("/residents/{resident_id}")
def read_resident(
    resident_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal, response: Response,
    purpose: Annotated[str, Query(max_length=50)] = "",
    reveal: Annotated[list[str] | None, Query()] = None,
) -> s.ResidentPublic:
    """Masked identifiers; ``reveal=phone&purpose=contact`` unmasks where the role allows."""
    v = residents.read_resident(
        uow, rt, principal, resident_id, purpose=purpose, reveal=tuple(reveal or ()),
    )
    response.headers["ETag"] = etag(v.version)
    return _resident(v)


@router.patch("/residents/{resident_id}")
def update_resident(
    resident_id: int, body: s.ResidentUpdate, uow: UoW, rt: Rt, principal: CurrentPrincipal,
    version: ExpectedVersion, response: Response,
) -> s.ResidentPublic:
    changes = residents.ResidentChanges(
        name=body.name, phone=body.phone, birth_year=body.birth_year, relation=body.relation,
        clear_phone="phone" in body.model_fields_set and body.phone is None,
    )
    v = residents.update_resident(
        uow, rt, principal, resident_id, expected_version=version, changes=changes
    )
    response.headers["ETag"] = etag(v.version)
    return _resident(v)


@router.post("/residents/{resident_id}/care-flags", status_code=201)
def add_care_flag(
    resident_id: int, body: s.CareFlagCreate, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> s.CareFlagPublic:
    f = residents.add_care_flag(
        uow, rt, principal, resident_id, kind=body.kind, purpose=body.purpose,
        consent_by=body.consent_by,
    )
    return s.CareFlagPublic(
        id=f.id, kind=f.kind, purpose=f.purpose, consent_by=f.consent_by, consent_at=f.consent_at
    )


@router.delete("/care-flags/{flag_id}", status_code=204)
def withdraw_care_flag(flag_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    residents.withdraw_care_flag(uow, rt, principal, flag_id)
    return Response(status_code=204)


@router.put("/residents/{resident_id}/quarantine")
def set_quarantine(
    resident_id: int, body: s.QuarantineSet, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> dict[str, Any]:
    r = residents.set_quarantine(uow, rt, principal, resident_id, until=body.until)
    return {"id": r.id, "quarantine_until": r.quarantine_until}


@router.post("/residents/{resident_id}/moved-out", status_code=204)
def moved_out(resident_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    """Record that the resident left: passes end, their data is erased after the retention."""
    privacy.mark_moved_out(uow, rt, principal, resident_id)
    return Response(status_code=204)


@router.post("/residents/{resident_id}/erase", status_code=204)
def erase_resident(resident_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    privacy.erase(uow, rt, principal, resident_id)
    return Response(status_code=204)


# --- invitations and self-registration ------------------------------------------------------


@router.post("/invitations", status_code=201)
def create_invitation(
    body: s.InvitationCreate, request: Request, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> s.InvitationPublic:
    inv = registration.create_invitation(
        uow, rt, principal, place_code=body.place, days=body.days, max_uses=body.max_uses
    )
    return s.InvitationPublic(
        code=inv.code, place=body.place, expires_at=inv.expires_at,
        join_url=str(request.base_url) + f"community/join?code={inv.code}",
        qr_svg_url=f"/api/community/invitations/{inv.code}/qr.svg",
    )


@router.get("/invitations/{code}/qr.svg")
def invitation_qr(
    code: str, request: Request, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> Response:
    inv = registration.valid_invitation(uow, rt, code)
    require(principal, "community.invitation.create", Target(scope=inv.scope))
    url = str(request.base_url) + f"community/join?code={inv.code}"
    return Response(access.qr_svg(url), media_type="image/svg+xml")


@router.post("/register", status_code=201)
def self_register(
    body: s.RegisterRequest, uow: UoW, rt: Rt, request: Request
) -> s.RegisteredPublic:
    """Anyone holding a valid invitation code registers themselves and their dwelling; a
    client that keeps trying unknown codes is refused for a while (429)."""
    throttle = request.app.state.ctx.registration_throttle
    client = f"client:{request.client.host if request.client else '?'}"
    throttle.check(client)
    try:
        reg = registration.self_register(uow, rt, registration.SelfRegistration(
            code=body.code, username=body.username, password=body.password,
            grid_code=body.grid, building=body.building, unit=body.unit, room=body.room,
            language=body.language,
            resident=residents.NewResident(
                name=body.name, phone=body.phone, national_id=body.national_id,
                birth_year=body.birth_year,
            ),
        ))
    except NotFound:
        throttle.failed(client)
        raise
    return s.RegisteredPublic(
        user_id=reg.user_id, resident_id=reg.resident_id, household_id=reg.household_id
    )


# --- the resident's own data ----------------------------------------------------------------


@router.get("/me/data")
def my_data(uow: UoW, rt: Rt, principal: CurrentPrincipal) -> dict[str, Any]:
    """Everything held about you (right of access), unmasked for you alone."""
    return privacy.subject_export(uow, rt, principal)


@router.post("/me/deletion-request", status_code=202)
def request_deletion(uow: UoW, rt: Rt, principal: CurrentPrincipal) -> s.DeletionPublic:
    req = privacy.request_deletion(uow, rt, principal)
    return s.DeletionPublic(id=req.id, status=req.status, requested_at=req.requested_at)


# --- check-ins ------------------------------------------------------------------------------


# --- passes, gates, visitors ----------------------------------------------------------------


# --- alerts and rules -----------------------------------------------------------------------


# --- dashboard ------------------------------------------------------------------------------


