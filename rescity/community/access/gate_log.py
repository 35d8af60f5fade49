"""Reading the gate log: recent gate events in the principal's places, and passages by hour
for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.access.adapters import (
    Gate,
    GateEvent,
)
from rescity.community.access.domain import (
    ScanOutcome,
)
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.scoping import (
    scope_filter,
)
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork


@dataclass(frozen=True)
class GateEventRow:
    id: int
    gate: str
    at: datetime
    direction: str
    outcome: str
    resident_id: int | None
    visitor_id: int | None


def list_gate_events(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, hours: int = 24, limit: int = 1000
) -> list[GateEventRow]:
    session = uow.session
    rows = session.execute(
        select(GateEvent, Gate.code)
        .join(Gate, Gate.id == GateEvent.gate_id)
        .where(
            scope_filter(GateEvent.scope, principal, "community.gate.read"),
            GateEvent.at >= rt.now() - timedelta(hours=hours),
        )
        .order_by(GateEvent.id.desc())
        .limit(min(limit, 10_000))
    ).all()
    out = [
        GateEventRow(e.id, code, e.at, e.direction, e.outcome, e.resident_id, e.visitor_id)
        for e, code in rows
    ]
    audit.record(
        session, principal, kind=AuditKind.READ, action="community.gate.read",
        record_type="gate_event", record_id=f"{len(out)} rows", purpose="access control",
    )
    uow.commit()
    return out


def passages_by_hour(
    session: Session, rt: Runtime, scope: str, day_start: datetime
) -> list[dict[str, int]]:
    """Admitted entries and exits per local hour of one day under ``scope``."""
    rows = session.execute(
        select(GateEvent.at, GateEvent.direction).where(
            GateEvent.scope.startswith(scope, autoescape=True),
            GateEvent.at >= day_start, GateEvent.at < day_start + timedelta(days=1),
            GateEvent.outcome == ScanOutcome.ADMITTED.value,
        )
    ).all()
    hours = [{"hour": h, "in": 0, "out": 0} for h in range(24)]
    for at, direction in rows:
        hours[rt.local(at).hour][direction] += 1
    return hours
