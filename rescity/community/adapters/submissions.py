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

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from rescity.community.adapters.orm import CheckIn, Gate, GateEvent, Pass, Resident

# Core tables, and statements built once: building a statement and its cache key, and the
# ORM's handling of ORM-enabled statements, cost more here than running them.
_CHECKIN: Table = CheckIn.__table__  # type: ignore[assignment]
_GATE: Table = Gate.__table__  # type: ignore[assignment]
_GATE_EVENT: Table = GateEvent.__table__  # type: ignore[assignment]
_PASS: Table = Pass.__table__  # type: ignore[assignment]
_RESIDENT: Table = Resident.__table__  # type: ignore[assignment]

_RESIDENT_COLUMNS = (_RESIDENT.c.id, _RESIDENT.c.scope, _RESIDENT.c.user_id,
                     _RESIDENT.c.household_id, _RESIDENT.c.quarantine_until)
_RESIDENT_BY_ID = select(*_RESIDENT_COLUMNS).where(
    _RESIDENT.c.id == bindparam("id"), _RESIDENT.c.erased_at.is_(None)
)
_GATE_BY_CODE = select(_GATE.c.id, _GATE.c.scope, _GATE.c.code).where(
    _GATE.c.code == bindparam("code")
)
_PASS_WITH_RESIDENT = (
    select(_PASS.c.id, _PASS.c.resident_id, _PASS.c.scope, _PASS.c.nonce, _PASS.c.revoked_at,
           _PASS.c.expires_at, *_RESIDENT_COLUMNS)
    .select_from(_PASS.outerjoin(_RESIDENT, _RESIDENT.c.id == _PASS.c.resident_id))
    .where(_PASS.c.id == bindparam("id"))
)
_PASSAGES_SINCE = select(_GATE_EVENT.c.at).where(
    _GATE_EVENT.c.resident_id == bindparam("resident_id"), _GATE_EVENT.c.at >= bindparam("since")
)
_INSERT_CHECKIN = insert(_CHECKIN).returning(_CHECKIN.c.id)
_INSERT_GATE_EVENT = insert(_GATE_EVENT).returning(_GATE_EVENT.c.id)


@dataclass(frozen=True)
class ResidentRef:
    """What the policy and the alert rules need to know about a resident."""

    id: int
    scope: str
    user_id: int | None
    household_id: int
    quarantine_until: datetime | None


def resident_ref(session: Session, resident_id: int) -> ResidentRef | None:
    """The resident (not erased), or None."""
    row = session.connection().execute(_RESIDENT_BY_ID, {"id": resident_id}).first()
    return None if row is None else ResidentRef(*row)


@dataclass(frozen=True)
class GateRef:
    id: int
    scope: str
    code: str


def gate_by_code(session: Session, code: str) -> GateRef | None:
    row = session.connection().execute(_GATE_BY_CODE, {"code": code}).first()
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
    row = session.connection().execute(_PASS_WITH_RESIDENT, {"id": pass_id}).first()
    if row is None:
        return None
    resident = None if row[6] is None else ResidentRef(*row[6:])
    return PassRef(*row[:6]), resident


def passages_since(session: Session, resident_id: int, since: datetime) -> list[datetime]:
    """When the resident's gate events (the one being recorded included) happened."""
    return list(session.connection().execute(
        _PASSAGES_SINCE, {"resident_id": resident_id, "since": since}
    ).scalars())


def insert_checkin(session: Session, values: dict[str, Any]) -> int:
    """Insert one check-in row; returns its id."""
    return int(session.connection().execute(_INSERT_CHECKIN, values).scalar_one())


def insert_gate_event(session: Session, values: dict[str, Any]) -> int:
    """Insert one gate event row; returns its id."""
    return int(session.connection().execute(_INSERT_GATE_EVENT, values).scalar_one())
