"""The shared statements of the two hot submissions (health check-ins and gate scans), as
flows: the resident lookups and the idempotency answers. Each capability keeps its own
statements next to its tables (``health/adapters.py``, ``access/adapters.py``,
``alerts/adapters.py``).

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

from sqlalchemy import Table, and_, bindparam, select

from rescity.community.shared.adapters import IdempotencyRecord, Resident
from rescity.core.storage.flows import Flow, One, Run, insert_all

_IDEM: Table = IdempotencyRecord.__table__  # type: ignore[assignment]
_RESIDENT: Table = Resident.__table__  # type: ignore[assignment]

RESIDENT_COLUMNS = (_RESIDENT.c.id, _RESIDENT.c.scope, _RESIDENT.c.user_id,
                     _RESIDENT.c.household_id, _RESIDENT.c.quarantine_until, _RESIDENT.c.left_at)
_RESIDENT_BY_ID = select(*RESIDENT_COLUMNS).where(
    _RESIDENT.c.id == bindparam("id"), _RESIDENT.c.erased_at.is_(None)
)
_RESIDENT_BY_USER = select(*RESIDENT_COLUMNS).where(
    _RESIDENT.c.user_id == bindparam("user_id"), _RESIDENT.c.erased_at.is_(None)
).limit(1)
_STORED_ANSWER = select(_IDEM.c.request_hash, _IDEM.c.status_code, _IDEM.c.response).where(
    and_(_IDEM.c.actor_id == bindparam("actor_id"), _IDEM.c.key == bindparam("key"))
)
_INSERT_IDEM = insert_all(_IDEM)


@dataclass(frozen=True)
class ResidentRef:
    """What the policy and the alert rules need to know about a resident."""

    id: int
    scope: str
    user_id: int | None
    household_id: int
    quarantine_until: datetime | None
    left_at: datetime | None  # moved out: their passes no longer open a gate


def resident_ref(resident_id: int) -> Flow[ResidentRef | None]:
    """The resident (not erased), or None."""
    row = yield One(_RESIDENT_BY_ID, {"id": resident_id})
    return None if row is None else ResidentRef(*row)


def resident_of_user(user_id: int) -> Flow[ResidentRef | None]:
    """The resident record linked to a user account (not erased), or None."""
    row = yield One(_RESIDENT_BY_USER, {"user_id": user_id})
    return None if row is None else ResidentRef(*row)


def stored_answer(actor_id: int, key: str) -> Flow[tuple[str, int, dict[str, Any]] | None]:
    """(request hash, status code, response) stored under an idempotency key, or None."""
    row = yield One(_STORED_ANSWER, {"actor_id": actor_id, "key": key})
    return row  # type: ignore[no-any-return]


def insert_answer(values: dict[str, Any]) -> Flow[None]:
    """Store an idempotency answer; a stored one under the same (actor, key) conflicts."""
    yield Run(_INSERT_IDEM, values)
