"""Daily health check-ins, the list of who has not checked in, and the missed-check-in sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from rescity.community.alerts.adapters import Alert
from rescity.community.alerts.domain import AlertKind
from rescity.community.alerts.services import (
    alert_raised,
    ancestors,
    raise_alert,
    rules_for,
    rules_in_force,
)
from rescity.community.health.adapters import CheckIn, insert_checkin
from rescity.community.health.domain import (
    MAX_TEMPERATURE_C,
    MIN_TEMPERATURE_C,
    RiskQuestion,
    Symptom,
    assess,
)
from rescity.community.shared.adapters import Dwelling, Household, Resident, home_dwelling_id
from rescity.community.shared.idempotency import IdemKey, Submitted, submitted
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.scoping import (
    allowed_resident,
    own_resident,
    resident_target_of,
    scope_filter,
)
from rescity.community.shared.submissions import ResidentRef, resident_of_user
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.places import Place, PlaceLevel, get_place
from rescity.core.security.policy import Principal, Target, require
from rescity.core.storage.flows import Flow, run_flow
from rescity.core.storage.uow import UnitOfWork


@dataclass(frozen=True)
class NewCheckIn:
    temperature_c: float
    symptoms: tuple[Symptom, ...] = ()
    risk: tuple[RiskQuestion, ...] = ()
    resident_id: int | None = None  # None: the signed-in resident


def submit_checkin(
    uow: UnitOfWork, rt: Runtime, principal: Principal, data: NewCheckIn, *,
    idem: IdemKey | None = None,
) -> Submitted:
    """Store a check-in (once per idempotency key) and raise fever/symptom alerts."""
    return run_flow(uow.session, checkin_submitted(rt, principal, data, idem=idem))


def checkin_submitted(
    rt: Runtime, principal: Principal, data: NewCheckIn, *, idem: IdemKey | None = None,
) -> Flow[Submitted]:
    """:func:`submit_checkin` as a flow (the API runs it on the event loop on PostgreSQL)."""
    if not MIN_TEMPERATURE_C <= data.temperature_c <= MAX_TEMPERATURE_C:
        raise InputError(
            [Problem("temperature_c", f"between {MIN_TEMPERATURE_C} and {MAX_TEMPERATURE_C} °C")]
        )
    if data.resident_id is None:
        mine = yield from resident_of_user(principal.user_id)
        if mine is None:
            raise NotFound("you are not registered as a resident")
        target = yield from resident_target_of(principal, mine)
        require(principal, "community.checkin.create", target)
        resident = mine
    else:
        resident = yield from allowed_resident(
            principal, data.resident_id, "community.checkin.create"
        )
    return (yield from submitted(rt, idem, _checkin_work(rt, principal, data, resident)))


def _checkin_work(
    rt: Runtime, principal: Principal, data: NewCheckIn, resident: ResidentRef,
) -> Flow[tuple[int, dict[str, Any]]]:
    resident_id, scope = resident.id, resident.scope
    now, day = rt.now(), rt.today()
    rules = yield from rules_in_force(rt, scope)
    result = assess(
        data.temperature_c, list(data.symptoms), {q: True for q in data.risk},
        fever_threshold_c=rules[AlertKind.FEVER].number("threshold_c"),
    )
    temperature_c = round(data.temperature_c, 1)
    symptom_values = [s.value for s in result.symptoms]
    risk_values = [q.value for q in result.risk]
    checkin_id = yield from insert_checkin({
        "resident_id": resident_id, "scope": scope, "day": day, "at": now,
        "temperature_c": temperature_c, "symptoms": symptom_values, "risk": risk_values,
        "fever": result.fever, "submitted_by": principal.user_id,
    })
    raised = []
    fever, symptoms = rules[AlertKind.FEVER], rules[AlertKind.SYMPTOMS]
    if result.fever and fever.enabled:
        raised.append((yield from alert_raised(
            kind=AlertKind.FEVER, scope=scope, severity=fever.severity, source="checkin",
            source_ref=str(checkin_id), subject_type="resident", subject_id=resident_id,
            dedup_key=f"fever:r{resident_id}:{day}", now=now,
            detail={"temperature_c": temperature_c},
        )))
    if (result.symptoms or result.risk) and symptoms.enabled:
        raised.append((yield from alert_raised(
            kind=AlertKind.SYMPTOMS, scope=scope, severity=symptoms.severity,
            source="checkin", source_ref=str(checkin_id), subject_type="resident",
            subject_id=resident_id, dedup_key=f"symptoms:r{resident_id}:{day}", now=now,
            detail={"symptoms": symptom_values, "risk": risk_values},
        )))
    # A check-in for someone else (a household member, or by staff) names whom it was for.
    yield from audit.appended(
        principal, kind=AuditKind.WRITE, action="community.checkin.create",
        record_type="checkin", record_id=checkin_id, scope=scope,
        detail={"for_resident": resident_id} if data.resident_id is not None else None,
    )
    return 201, {
        "id": checkin_id, "resident_id": resident_id, "day": day.isoformat(),
        "at": now.isoformat(), "temperature_c": temperature_c, "symptoms": symptom_values,
        "risk": risk_values, "fever": result.fever, "alerts": raised,
    }


@dataclass(frozen=True)
class CheckInRow:
    id: int
    resident_id: int
    name: str
    day: date
    at: datetime
    temperature_c: float
    symptoms: list[str]
    risk: list[str]
    fever: bool


def list_checkins(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, day: date | None = None,
    fever_only: bool = False, limit: int = 1000,
) -> list[CheckInRow]:
    """Check-ins in the principal's area (health data: audited), or their household's own."""
    session = uow.session
    stmt = select(CheckIn, Resident.name).join(Resident, Resident.id == CheckIn.resident_id)
    scoped = scope_filter(CheckIn.scope, principal, "community.checkin.read")
    mine = own_resident(session, principal)
    if mine is not None:
        scoped = scoped | (Resident.household_id == mine.household_id)
    stmt = stmt.where(scoped, CheckIn.day == (day or rt.today()))
    if fever_only:
        stmt = stmt.where(CheckIn.fever.is_(True))
    rows = session.execute(stmt.order_by(CheckIn.id.desc()).limit(min(limit, 10_000))).all()
    out = [
        CheckInRow(c.id, c.resident_id, name, c.day, c.at, c.temperature_c, c.symptoms, c.risk,
                   c.fever)
        for c, name in rows
    ]
    audit.record(
        session, principal, kind=AuditKind.READ, action="community.checkin.read",
        record_type="checkin", record_id=f"{len(out)} rows", purpose="epidemic monitoring",
        detail={"day": (day or rt.today()).isoformat(), "ids": [r.id for r in out][:1000]},
    )
    uow.commit()
    return out


@dataclass(frozen=True)
class Missing:
    resident_id: int
    name: str
    dwelling: str
    scope: str


def _missing_stmt(day: date) -> Any:
    checked = exists().where(CheckIn.resident_id == Resident.id, CheckIn.day == day)
    return (
        select(Resident, Dwelling)
        .join(Household, Household.id == Resident.household_id)
        .join(Dwelling, Dwelling.id == home_dwelling_id())
        .where(Resident.erased_at.is_(None), Resident.left_at.is_(None), ~checked)
    )


def missing(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, grid_code: str | None = None,
    day: date | None = None,
) -> list[Missing]:
    """Residents of the principal's grids who have not checked in on ``day`` (today)."""
    session = uow.session
    day = day or rt.today()
    stmt = _missing_stmt(day).where(
        scope_filter(Resident.scope, principal, "community.checkin.read")
    )
    if grid_code:
        grid = get_place(session, grid_code)
        require(principal, "community.checkin.read", Target(scope=grid.path))
        stmt = stmt.where(Resident.scope.startswith(grid.path, autoescape=True))
    rows = session.execute(stmt.order_by(Resident.scope, Dwelling.building, Dwelling.room)).all()
    out = [Missing(r.id, r.name, d.label, r.scope) for r, d in rows]
    audit.record(
        session, principal, kind=AuditKind.READ, action="community.checkin.missing",
        record_type="resident", record_id=f"{len(out)} rows", purpose="check-in follow-up",
        detail={"day": day.isoformat(), "ids": [m.resident_id for m in out][:1000]},
    )
    uow.commit()
    return out


def sweep_missed(session: Session, rt: Runtime, *, scope: str = "/") -> int:
    """Raise a missed-check-in alert for each resident past the deadline; returns how many
    were new (an alert already raised for that resident and day is neither raised nor counted).

    Safe to run as often as wanted: alerts are de-duplicated per resident and day.
    """
    now = rt.now()
    day, hour = rt.today(), rt.local(now).hour
    communities = session.scalars(
        select(Place).where(
            Place.level == PlaceLevel.COMMUNITY.value,
            Place.path.startswith(scope, autoescape=True) | Place.path.in_(ancestors(scope)),
        )
    ).all()
    raised = 0
    for community in communities:
        rule = rules_for(session, community.path)[AlertKind.MISSED_CHECKIN]
        if not rule.enabled or hour < rule.number("deadline_hour"):
            continue
        inside = scope if len(scope) > len(community.path) else community.path
        stmt = _missing_stmt(day).where(Resident.scope.startswith(inside, autoescape=True))
        missing = [resident for resident, _dwelling in session.execute(stmt).all()]
        keys = [f"missed:r{r.id}:{day}" for r in missing]
        known = set(session.scalars(select(Alert.dedup_key).where(Alert.dedup_key.in_(keys))))
        for resident in missing:
            if f"missed:r{resident.id}:{day}" in known:
                continue
            raise_alert(
                session, kind=AlertKind.MISSED_CHECKIN, scope=resident.scope,
                severity=rule.severity, source="sweep", subject_type="resident",
                subject_id=resident.id, dedup_key=f"missed:r{resident.id}:{day}", now=now,
                detail={"day": day.isoformat()},
            )
            raised += 1
    return raised


def sweep(uow: UnitOfWork, rt: Runtime, principal: Principal | None, *, place_code: str) -> int:
    """Run the missed-check-in rule for one place (API/CLI entry); commits."""
    place = get_place(uow.session, place_code)
    if principal is not None:
        require(principal, "community.alert.create", Target(scope=place.path))
    count = sweep_missed(uow.session, rt, scope=place.path)
    uow.commit()
    return count

