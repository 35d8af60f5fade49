"""Passes, gates, visitors and gate events: the tables, and the statements of the gate-scan
submission (flows run by ORM session or asyncpg alike, see
:mod:`rescity.community.shared.submissions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    String,
    Table,
    bindparam,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from rescity.community.shared.adapters import SCOPE, Resident
from rescity.community.shared.sealed import SealedColumn
from rescity.community.shared.submissions import RESIDENT_COLUMNS, ResidentRef
from rescity.core.storage.db import Base, UTCDateTime, utcnow
from rescity.core.storage.flows import Flow, One, Scalar, insert_all


class Pass(Base):
    """A personal pass; the QR holds a signed token naming the pass and its nonce."""

    __tablename__ = "community_pass"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("community_resident.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    issued_by: Mapped[int | None] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[int | None] = mapped_column()


class Gate(Base):
    __tablename__ = "community_gate"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Visitor(Base):
    __tablename__ = "community_visitor"

    id: Mapped[int] = mapped_column(primary_key=True)
    host_resident_id: Mapped[int] = mapped_column(
        ForeignKey("community_resident.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone_sealed: Mapped[str | None] = mapped_column(String(300))
    phone_digest: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(200), default="")
    expected_from: Mapped[datetime] = mapped_column(UTCDateTime())
    expected_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GateEvent(Base):
    """One passage (or refused passage) through a gate, posted by a gate device or a guard."""

    __tablename__ = "community_gate_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("community_gate.id"), index=True)
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    outcome: Mapped[str] = mapped_column(String(20))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_resident.id", ondelete="SET NULL"), index=True
    )
    visitor_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_visitor.id", ondelete="SET NULL")
    )
    pass_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_pass.id", ondelete="SET NULL")
    )
    recorded_by: Mapped[int | None] = mapped_column()


_RESIDENT: Table = Resident.__table__  # type: ignore[assignment]
_GATE: Table = Gate.__table__  # type: ignore[assignment]
_GATE_EVENT: Table = GateEvent.__table__  # type: ignore[assignment]
_PASS: Table = Pass.__table__  # type: ignore[assignment]
_VISITOR: Table = Visitor.__table__  # type: ignore[assignment]
_GATE_BY_CODE = select(_GATE.c.id, _GATE.c.scope, _GATE.c.code).where(
    _GATE.c.code == bindparam("code")
)


_PASS_WITH_RESIDENT = (
    select(_PASS.c.id, _PASS.c.resident_id, _PASS.c.scope, _PASS.c.nonce, _PASS.c.revoked_at,
           _PASS.c.expires_at, *RESIDENT_COLUMNS)
    .select_from(_PASS.outerjoin(_RESIDENT, _RESIDENT.c.id == _PASS.c.resident_id))
    .where(_PASS.c.id == bindparam("id"))
)


_VISITOR_BY_ID = select(
    _VISITOR.c.id, _VISITOR.c.scope, _VISITOR.c.expected_from, _VISITOR.c.expected_until
).where(_VISITOR.c.id == bindparam("id"))


_PASSAGES_BETWEEN = select(func.count()).select_from(_GATE_EVENT).where(
    _GATE_EVENT.c.resident_id == bindparam("resident_id"),
    _GATE_EVENT.c.at >= bindparam("since"), _GATE_EVENT.c.at <= bindparam("until"),
)


_INSERT_GATE_EVENT = insert_all(_GATE_EVENT, returning_id=True)


@dataclass(frozen=True)
class GateRef:
    id: int
    scope: str
    code: str


def gate_by_code(code: str) -> Flow[GateRef | None]:
    row = yield One(_GATE_BY_CODE, {"code": code})
    return None if row is None else GateRef(*row)


@dataclass(frozen=True)
class PassRef:
    id: int
    resident_id: int
    scope: str
    nonce: str
    revoked_at: datetime | None
    expires_at: datetime


def pass_with_resident(pass_id: int) -> Flow[tuple[PassRef, ResidentRef | None] | None]:
    """The pass and its resident (None if that row is gone), in one query."""
    row = yield One(_PASS_WITH_RESIDENT, {"id": pass_id})
    if row is None:
        return None
    resident = None if row[6] is None else ResidentRef(*row[6:])
    return PassRef(*row[:6]), resident


@dataclass(frozen=True)
class VisitorRef:
    id: int
    scope: str
    expected_from: datetime
    expected_until: datetime


def visitor_ref(visitor_id: int) -> Flow[VisitorRef | None]:
    row = yield One(_VISITOR_BY_ID, {"id": visitor_id})
    return None if row is None else VisitorRef(*row)


def passages_between(resident_id: int, since: datetime, until: datetime) -> Flow[int]:
    """How many gate events of the resident (the one being recorded included) fall in
    [since, until]."""
    count = yield Scalar(_PASSAGES_BETWEEN,
                         {"resident_id": resident_id, "since": since, "until": until})
    return int(count or 0)


def insert_gate_event(values: dict[str, Any]) -> Flow[int]:
    """Insert one gate event row; returns its id."""
    return int((yield Scalar(_INSERT_GATE_EVENT, values)))


_GATE_EVENTS: Table = GateEvent.__table__  # type: ignore[assignment]
_RESIDENTS: Table = Resident.__table__  # type: ignore[assignment]
# Module level with bind parameters: the event-loop path compiles each statement once.
_HOUSEHOLD_EXITS_SINCE = select(func.count()).select_from(
    _GATE_EVENTS.join(_RESIDENTS, _RESIDENTS.c.id == _GATE_EVENTS.c.resident_id)
).where(
    _RESIDENTS.c.household_id == bindparam("household_id"),
    _GATE_EVENTS.c.direction == "out", _GATE_EVENTS.c.outcome == "admitted",
    _GATE_EVENTS.c.at >= bindparam("since"),
)


def household_exits_since(household_id: int, since: datetime) -> Flow[int]:
    """Admitted exits through any gate by the household's residents since ``since`` (the
    household quota of a building under control counts them)."""
    n = yield Scalar(_HOUSEHOLD_EXITS_SINCE, {"household_id": household_id, "since": since})
    return int(n or 0)


# Sealed with the data keys: moved to the newest key by `rescity community reseal`.
SEALED = (
    SealedColumn(Visitor, "phone_sealed", "visitor.phone", digest="phone_digest"),
)
