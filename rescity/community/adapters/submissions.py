"""The statements of the two hot submissions (health check-ins and gate scans), as flows.

A gate device or a building full of phones posts these all day, so they skip the ORM: each
read fetches a few columns (no identity map, no instances) and each write is one ``INSERT``.
They are flows (:mod:`rescity.core.storage.flows`): the service code runs them on a session
(SQLite, synchronous callers) or on the event loop with asyncpg (PostgreSQL, the API), the
same statements either way. Inserts name every column, so the values given here are the
rows' values on both paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, select

from rescity.community.adapters.orm import (
    Alert,
    AlertRule,
    CheckIn,
    Gate,
    GateEvent,
    IdempotencyRecord,
    Pass,
    Resident,
    Visitor,
)
from rescity.core.accounts import RoleGrant
from rescity.core.storage.flows import All, Flow, One, Run, Scalar, insert_all

# Core tables, and statements built once: building a statement and its cache key, and the
# ORM's handling of ORM-enabled statements, cost more here than running them.
_ALERT: Table = Alert.__table__  # type: ignore[assignment]
_CHECKIN: Table = CheckIn.__table__  # type: ignore[assignment]
_GATE: Table = Gate.__table__  # type: ignore[assignment]
_GATE_EVENT: Table = GateEvent.__table__  # type: ignore[assignment]
_GRANT: Table = RoleGrant.__table__  # type: ignore[assignment]
_IDEM: Table = IdempotencyRecord.__table__  # type: ignore[assignment]
_PASS: Table = Pass.__table__  # type: ignore[assignment]
_RESIDENT: Table = Resident.__table__  # type: ignore[assignment]
_RULE: Table = AlertRule.__table__  # type: ignore[assignment]
_VISITOR: Table = Visitor.__table__  # type: ignore[assignment]

_RESIDENT_COLUMNS = (_RESIDENT.c.id, _RESIDENT.c.scope, _RESIDENT.c.user_id,
                     _RESIDENT.c.household_id, _RESIDENT.c.quarantine_until)
_RESIDENT_BY_ID = select(*_RESIDENT_COLUMNS).where(
    _RESIDENT.c.id == bindparam("id"), _RESIDENT.c.erased_at.is_(None)
)
_RESIDENT_BY_USER = select(*_RESIDENT_COLUMNS).where(
    _RESIDENT.c.user_id == bindparam("user_id"), _RESIDENT.c.erased_at.is_(None)
).limit(1)
_GATE_BY_CODE = select(_GATE.c.id, _GATE.c.scope, _GATE.c.code).where(
    _GATE.c.code == bindparam("code")
)
_PASS_WITH_RESIDENT = (
    select(_PASS.c.id, _PASS.c.resident_id, _PASS.c.scope, _PASS.c.nonce, _PASS.c.revoked_at,
           _PASS.c.expires_at, *_RESIDENT_COLUMNS)
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
# Rows set at ``scope`` or at any place above it: their scope is a prefix of ``scope``
# (scopes are paths of numeric ids, ``/1/2/3/``, so no LIKE wildcard can occur in them).
_RULES_ABOVE = select(_RULE.c.scope, _RULE.c.kind, _RULE.c["values"]).where(
    bindparam("scope").startswith(_RULE.c.scope)
)
_GRANTS_ABOVE = select(_GRANT.c.user_id, _GRANT.c.scope, _GRANT.c.id).where(
    _GRANT.c.role == bindparam("role"), bindparam("scope").startswith(_GRANT.c.scope)
)
_ALERT_BY_DEDUP = select(_ALERT.c.id).where(_ALERT.c.dedup_key == bindparam("dedup_key"))
_STORED_ANSWER = select(_IDEM.c.request_hash, _IDEM.c.status_code, _IDEM.c.response).where(
    and_(_IDEM.c.actor_id == bindparam("actor_id"), _IDEM.c.key == bindparam("key"))
)
_INSERT_CHECKIN = insert_all(_CHECKIN, returning_id=True)
_INSERT_GATE_EVENT = insert_all(_GATE_EVENT, returning_id=True)
_INSERT_ALERT = insert_all(_ALERT, returning_id=True)
_INSERT_IDEM = insert_all(_IDEM)


@dataclass(frozen=True)
class ResidentRef:
    """What the policy and the alert rules need to know about a resident."""

    id: int
    scope: str
    user_id: int | None
    household_id: int
    quarantine_until: datetime | None


def resident_ref(resident_id: int) -> Flow[ResidentRef | None]:
    """The resident (not erased), or None."""
    row = yield One(_RESIDENT_BY_ID, {"id": resident_id})
    return None if row is None else ResidentRef(*row)


def resident_of_user(user_id: int) -> Flow[ResidentRef | None]:
    """The resident record linked to a user account (not erased), or None."""
    row = yield One(_RESIDENT_BY_USER, {"user_id": user_id})
    return None if row is None else ResidentRef(*row)


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


def rules_above(scope: str) -> Flow[list[tuple[str, str, dict[str, Any]]]]:
    """(scope, kind, values) of the alert-rule rows set at ``scope`` or above it."""
    rows: list[tuple[str, str, dict[str, Any]]] = yield All(_RULES_ABOVE, {"scope": scope})
    return rows


def grants_above(role: str, scope: str) -> Flow[list[tuple[int, str, int]]]:
    """(user id, scope, grant id) of the grants of ``role`` at ``scope`` or above it."""
    rows: list[tuple[int, str, int]] = yield All(_GRANTS_ABOVE, {"role": role, "scope": scope})
    return rows


def alert_by_dedup_key(dedup_key: str) -> Flow[int | None]:
    found: int | None = yield Scalar(_ALERT_BY_DEDUP, {"dedup_key": dedup_key})
    return found


def stored_answer(actor_id: int, key: str) -> Flow[tuple[str, int, dict[str, Any]] | None]:
    """(request hash, status code, response) stored under an idempotency key, or None."""
    row = yield One(_STORED_ANSWER, {"actor_id": actor_id, "key": key})
    return row  # type: ignore[no-any-return]


def insert_checkin(values: dict[str, Any]) -> Flow[int]:
    """Insert one check-in row; returns its id."""
    return int((yield Scalar(_INSERT_CHECKIN, values)))


def insert_gate_event(values: dict[str, Any]) -> Flow[int]:
    """Insert one gate event row; returns its id."""
    return int((yield Scalar(_INSERT_GATE_EVENT, values)))


def insert_alert(values: dict[str, Any]) -> Flow[int]:
    """Insert one alert row (every column given); returns its id."""
    return int((yield Scalar(_INSERT_ALERT, values)))


def insert_answer(values: dict[str, Any]) -> Flow[None]:
    """Store an idempotency answer; a stored one under the same (actor, key) conflicts."""
    yield Run(_INSERT_IDEM, values)
