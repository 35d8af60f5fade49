"""Reads and writes of the two hot submissions (health check-ins and gate scans) in plain SQL.

A gate device or a building full of phones posts these all day, so they skip the ORM's unit of
work: the rows they read are fetched as a few columns (no identity map, no instances), and the
rows they write go in as one ``INSERT ... RETURNING id`` each, in the caller's session and so in
its transaction (the unit of work still commits). Column defaults declared on the tables apply
as with the ORM. Everything else keeps using the ORM classes in :mod:`.orm`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from rescity.community.adapters.orm import CheckIn, Gate, GateEvent, Pass, Resident

_CHECKIN: Table = CheckIn.__table__  # type: ignore[assignment]
_GATE_EVENT: Table = GateEvent.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ResidentRef:
    """What the policy and the alert rules need to know about a resident."""

    id: int
    scope: str
    user_id: int | None
    household_id: int
    quarantine_until: datetime | None


_RESIDENT_COLUMNS = (Resident.id, Resident.scope, Resident.user_id, Resident.household_id,
                     Resident.quarantine_until)


def resident_ref(session: Session, resident_id: int) -> ResidentRef | None:
    """The resident (not erased), or None."""
    row = session.execute(
        select(*_RESIDENT_COLUMNS).where(Resident.id == resident_id, Resident.erased_at.is_(None))
    ).first()
    return None if row is None else ResidentRef(*row)


@dataclass(frozen=True)
class GateRef:
    id: int
    scope: str
    code: str


def gate_by_code(session: Session, code: str) -> GateRef | None:
    row = session.execute(select(Gate.id, Gate.scope, Gate.code).where(Gate.code == code)).first()
    return None if row is None else GateRef(*row)


@dataclass(frozen=True)
class PassRef:
    id: int
    resident_id: int
    scope: str
    nonce: str
    revoked_at: datetime | None
    expires_at: datetime


def pass_with_resident(
    session: Session, pass_id: int
) -> tuple[PassRef, ResidentRef | None] | None:
    """The pass and its resident (None if that row is gone), in one query."""
    row = session.execute(
        select(Pass.id, Pass.resident_id, Pass.scope, Pass.nonce, Pass.revoked_at,
               Pass.expires_at, *_RESIDENT_COLUMNS)
        .join(Resident, Resident.id == Pass.resident_id, isouter=True)
        .where(Pass.id == pass_id)
    ).first()
    if row is None:
        return None
    resident = None if row[6] is None else ResidentRef(*row[6:])
    return PassRef(*row[:6]), resident


def insert_checkin(session: Session, values: dict[str, Any]) -> int:
    """Insert one check-in row; returns its id."""
    return int(session.execute(insert(_CHECKIN).returning(_CHECKIN.c.id), values).scalar_one())


def insert_gate_event(session: Session, values: dict[str, Any]) -> int:
    """Insert one gate event row; returns its id."""
    return int(
        session.execute(insert(_GATE_EVENT).returning(_GATE_EVENT.c.id), values).scalar_one()
    )
