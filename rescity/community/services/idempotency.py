"""Idempotent submissions: a retried or duplicated phone submission is stored once.

The client sends an ``Idempotency-Key`` with every submission. The answer is stored in the
same transaction as the change, so either both are durable or neither is. A replay with the
same key and body gets the stored answer; the same key with another body is refused (422);
two identical requests racing each other both end with the one stored answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from rescity.community.adapters.orm import IdempotencyRecord
from rescity.community.errors import IdempotencyInFlight, IdempotencyKeyReused
from rescity.community.services.runtime import Runtime
from rescity.core.errors import InputError, Problem
from rescity.core.storage.uow import UnitOfWork

MAX_KEY = 100
_INSERT = insert(IdempotencyRecord.__table__)  # type: ignore[arg-type]


@dataclass(frozen=True)
class IdemKey:
    actor_id: int
    key: str
    request_hash: str

    @classmethod
    def of(cls, actor_id: int, key: str, route: str, payload: Any) -> IdemKey:
        key = key.strip()
        if not 8 <= len(key) <= MAX_KEY or not key.isprintable():
            raise InputError([Problem("Idempotency-Key", "8–100 printable characters")])
        canonical = json.dumps([route, payload], sort_keys=True, default=str)
        return cls(actor_id, key, hashlib.sha256(canonical.encode()).hexdigest())


@dataclass(frozen=True)
class Submitted:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def _stored(uow: UnitOfWork, idem: IdemKey) -> Submitted | None:
    row = uow.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.actor_id == idem.actor_id, IdempotencyRecord.key == idem.key
        )
    )
    if row is None:
        return None
    if row.request_hash != idem.request_hash:
        raise IdempotencyKeyReused(idem.key)
    return Submitted(row.status_code, row.response, replayed=True)


def submit(
    uow: UnitOfWork, rt: Runtime, idem: IdemKey | None,
    work: Callable[[], tuple[int, dict[str, Any]]],
) -> Submitted:
    """Run ``work`` (which adds rows but does not commit) once per key, and commit.

    Optimistic: a first submission (the common case) costs no extra lookup; the unique
    (actor, key) constraint catches a replay when its answer is inserted (or at commit),
    whose work is then rolled back and the stored answer returned instead.
    """
    try:
        status, body = work()
        if idem is not None:
            # A plain INSERT (no ORM object to flush); a copy of this submission that
            # committed first makes it fail here on the unique (actor, key).
            uow.session.connection().execute(
                _INSERT,
                {
                    "actor_id": idem.actor_id, "key": idem.key,
                    "request_hash": idem.request_hash, "status_code": status,
                    "response": body, "created_at": rt.now(),
                },
            )
        uow.commit()
    except IntegrityError:
        # A copy of this submission (or one raising the same alert) committed first.
        uow.rollback()
        hit = _stored(uow, idem) if idem is not None else None
        if hit is None:
            raise IdempotencyInFlight("a conflicting request is in progress; retry") from None
        return hit
    return Submitted(status, body)
