"""The community JSON API under ``/api/community``. Thin: parse, call a service, shape.

Authorization: each route names its action (``allowed("...")``) and the services check the
record-level target; lists only contain rows inside the principal's places (or their own).
Submissions from phones (check-ins, gate scans) take an ``Idempotency-Key``; updates take
``If-Match`` with the ETag from the last read.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from rescity.community.domain.alerts import AlertKind, AlertStatus
from rescity.community.entrypoints import schemas as s
from rescity.community.entrypoints.deps import (
    ExpectedVersion,
    IdempotencyKeyHeader,
    OptionalVersion,
    Rt,
    allow_any,
    etag,
)
from rescity.community.entrypoints.lean import SubmissionRoute
from rescity.community.services import (
    access,
    alerts,
    checkins,
    dashboard,
    privacy,
    registration,
    residents,
)
from rescity.community.services.idempotency import IdemKey, Submitted
from rescity.core.errors import NotFound
from rescity.core.security.policy import Principal, Target, require
from rescity.web.deps import CurrentCaller, CurrentPrincipal, UoW, allow, run_submission

router = APIRouter(prefix="/api/community", tags=["community"])

ResidentReader = Annotated[Principal, Depends(allow_any("community.resident.read"))]
CheckinReader = Annotated[Principal, Depends(allow_any("community.checkin.read"))]
AlertReader = Annotated[Principal, Depends(allow_any("community.alert.read"))]
GateReader = Annotated[Principal, Depends(allow_any("community.gate.read"))]
VisitorReader = Annotated[Principal, Depends(allow_any("community.visitor.read"))]
Grid = Annotated[str | None, Query(max_length=64)]


def _resident(v: residents.ResidentView) -> s.ResidentPublic:
    data = asdict(v)
    data["revealed"] = list(v.revealed)
    return s.ResidentPublic.model_validate(data)


def _submitted(result: Submitted) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)


def _idem(principal: Principal, key: str | None, route: str, body: Any) -> IdemKey | None:
    if key is None:
        return None
    return IdemKey.of(principal.user_id, key, route, body.model_dump(mode="json"))


# --- the hot submissions: first in the router, so that matching a request to them is short ---
# Phones and gate devices post these all day. They are ``async def`` and run their database
# work as flows with run_submission: on PostgreSQL on the event loop (asyncpg), on SQLite
# with one executor hop; no unit-of-work dependency; the caller (app
# context and principal) is one dependency instead of four; and SubmissionRoute serves an
# ordinary request without FastAPI's generic dependency solving (see lean.py).

_REPLAYED: dict[int | str, dict[str, Any]] = {200: {"description": "replayed"}}


async def submit_checkin(
    body: s.CheckInCreate, caller: CurrentCaller, rt: Rt,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Temperature, symptoms and optional risk answers; no location is ever asked for."""
    data = checkins.NewCheckIn(
        temperature_c=body.temperature_c, symptoms=tuple(body.symptoms), risk=tuple(body.risk),
        resident_id=body.resident_id,
    )
    principal = caller.principal
    idem = _idem(principal, idempotency_key, "checkin", body)
    return _submitted(await run_submission(
        caller.ctx, checkins.checkin_submitted(rt, principal, data, idem=idem)
    ))


async def record_scan(
    body: s.ScanCreate, caller: CurrentCaller, rt: Rt,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """A gate device or a guard's phone posts each scan; the answer says whether to admit."""
    scan = access.Scan(gate=body.gate, direction=body.direction, token=body.token,
                       visitor_id=body.visitor_id)
    principal = caller.principal
    idem = _idem(principal, idempotency_key, "scan", body)
    return _submitted(await run_submission(
        caller.ctx, access.scan_recorded(rt, principal, scan, idem=idem)
    ))


for _path, _endpoint in (("/checkins", submit_checkin), ("/gate-events", record_scan)):
    router.add_api_route(_path, _endpoint, methods=["POST"], status_code=201,
                         responses=_REPLAYED, route_class_override=SubmissionRoute)


# --- households and residents ---------------------------------------------------------------


@router.post("/households", status_code=201)
def create_household(
    body: s.HouseholdCreate, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> s.HouseholdPublic:
    h = residents.create_household(
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
    r = residents.register_resident(uow, rt, principal, household_id=body.household_id, data=data)
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


@router.get("/me/pass")
def my_pass(uow: UoW, rt: Rt, principal: CurrentPrincipal) -> s.PassPublic:
    return s.PassPublic.model_validate(asdict(access.current_pass(uow, rt, principal)))


@router.get("/me/pass/qr.svg")
def my_pass_qr(uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    issued = access.current_pass(uow, rt, principal)
    return Response(access.qr_svg(issued.token), media_type="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


# --- check-ins ------------------------------------------------------------------------------


@router.get("/checkins")
def list_checkins(
    uow: UoW, rt: Rt, principal: CheckinReader, day: date | None = None, fever: bool = False
) -> list[s.CheckInPublic]:
    rows = checkins.list_checkins(uow, rt, principal, day=day, fever_only=fever)
    return [s.CheckInPublic.model_validate(asdict(r)) for r in rows]


@router.get("/checkins/missing")
def missing_checkins(
    uow: UoW, rt: Rt, principal: Annotated[Principal, Depends(allow("community.checkin.read"))],
    grid: Grid = None, day: date | None = None,
) -> list[s.MissingPublic]:
    """Who in your grid has not checked in today."""
    rows = checkins.missing(uow, rt, principal, grid_code=grid, day=day)
    return [s.MissingPublic(resident_id=m.resident_id, name=m.name, dwelling=m.dwelling)
            for m in rows]


# --- passes, gates, visitors ----------------------------------------------------------------


@router.post("/passes", status_code=201)
def issue_pass(body: s.PassIssue, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> s.PassPublic:
    issued = access.issue_pass(uow, rt, principal, body.resident_id, days=body.days)
    return s.PassPublic.model_validate(asdict(issued))


@router.post("/passes/{pass_id}/revoke", status_code=204)
def revoke_pass(pass_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    access.revoke_pass(uow, rt, principal, pass_id)
    return Response(status_code=204)


@router.post("/gates", status_code=201)
def create_gate(body: s.GateCreate, uow: UoW, principal: CurrentPrincipal) -> s.GatePublic:
    gate = access.create_gate(
        uow, principal, community_code=body.community, code=body.code, name=body.name
    )
    return s.GatePublic(id=gate.id, code=gate.code, name=gate.name)


@router.get("/gate-events")
def list_gate_events(
    uow: UoW, rt: Rt, principal: GateReader,
    hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24,
) -> list[s.GateEventPublic]:
    rows = access.list_gate_events(uow, rt, principal, hours=hours)
    return [s.GateEventPublic.model_validate(asdict(r)) for r in rows]


@router.post("/visitors", status_code=201)
def register_visitor(
    body: s.VisitorCreate, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> s.VisitorPublic:
    v = access.register_visitor(uow, rt, principal, access.NewVisitor(
        name=body.name, phone=body.phone, purpose=body.purpose,
        expected_from=body.expected_from, expected_until=body.expected_until,
        host_resident_id=body.host_resident_id,
    ))
    return s.VisitorPublic.model_validate(asdict(v))


@router.get("/visitors")
def list_visitors(
    uow: UoW, rt: Rt, principal: VisitorReader,
    days: Annotated[int, Query(ge=1, le=31)] = 1,
) -> list[s.VisitorPublic]:
    return [s.VisitorPublic.model_validate(asdict(v))
            for v in access.list_visitors(uow, rt, principal, days=days)]


# --- alerts and rules -----------------------------------------------------------------------


@router.get("/alerts")
def list_alerts(
    uow: UoW, principal: AlertReader, status: AlertStatus | None = None,
    kind: str | None = None, mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=2000)] = 200,
) -> list[s.AlertPublic]:
    rows = alerts.list_alerts(uow, principal, status=status, kind=kind, mine=mine, limit=limit)
    return [s.AlertPublic.model_validate(asdict(a)) for a in rows]


@router.get("/alerts/{alert_id}")
def read_alert(
    alert_id: int, uow: UoW, principal: CurrentPrincipal, response: Response
) -> s.AlertPublic:
    a = alerts.read_alert(uow, principal, alert_id)
    response.headers["ETag"] = etag(a.version)
    return s.AlertPublic.model_validate(asdict(a))


def _move(
    target: AlertStatus, alert_id: int, body: s.AlertNote | None, uow: UoW, rt: Rt,
    principal: Principal, version: int | None, response: Response,
) -> s.AlertPublic:
    a = alerts.transition(
        uow, rt, principal, alert_id, target, expected_version=version,
        note=body.note if body else "",
    )
    response.headers["ETag"] = etag(a.version)
    return s.AlertPublic.model_validate(asdict(a))


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(
    alert_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal, version: OptionalVersion,
    response: Response, body: s.AlertNote | None = None,
) -> s.AlertPublic:
    return _move(AlertStatus.ACKNOWLEDGED, alert_id, body, uow, rt, principal, version, response)


@router.post("/alerts/{alert_id}/resolve")
def resolve_alert(
    alert_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal, version: OptionalVersion,
    response: Response, body: s.AlertNote | None = None,
) -> s.AlertPublic:
    return _move(AlertStatus.RESOLVED, alert_id, body, uow, rt, principal, version, response)


@router.post("/alerts/sweep")
def sweep_missed(
    body: s.SweepRequest, uow: UoW, rt: Rt, principal: CurrentPrincipal
) -> s.SweepPublic:
    """Raise missed-check-in alerts in a place now (also run by `rescity community sweep`)."""
    return s.SweepPublic(raised=checkins.sweep(uow, rt, principal, place_code=body.place))


def _rules(table: dict[AlertKind, Any]) -> list[s.RulePublic]:
    return [
        s.RulePublic(kind=k.value, enabled=r.enabled, severity=r.severity.value, params=r.params)
        for k, r in table.items()
    ]


@router.get("/rules/{community}")
def get_rules(community: str, uow: UoW, principal: CurrentPrincipal) -> list[s.RulePublic]:
    return _rules(alerts.community_rules(uow.session, principal, community))


@router.put("/rules/{community}/{kind}")
def set_rule(
    community: str, kind: AlertKind, values: dict[str, Any], uow: UoW, rt: Rt,
    principal: CurrentPrincipal,
) -> list[s.RulePublic]:
    """Override one rule's values (thresholds, severity, enabled) for a community."""
    return _rules(alerts.set_rule(uow, rt, principal, community, kind, values))


# --- dashboard ------------------------------------------------------------------------------


@router.get("/dashboard")
def get_dashboard(
    uow: UoW, rt: Rt, principal: CurrentPrincipal, place: Annotated[str, Query(max_length=64)]
) -> dict[str, Any]:
    """Desensitised figures (counts below k = 5 withheld as null) for a place and its parts."""
    return dashboard.dashboard(uow, rt, principal, place_code=place)
