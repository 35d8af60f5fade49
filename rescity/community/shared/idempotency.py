"""Idempotent submissions: a retried or duplicated phone submission is stored once.

The client sends an ``Idempotency-Key`` with every submission. The answer is stored in the
same transaction as the change, so either both are durable or neither is. A replay with the
same key and body gets the stored answer; the same key with another body is refused (422);
two identical requests racing each other both end with the one stored answer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from rescity.community.shared.errors import IdempotencyInFlight, IdempotencyKeyReused
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.submissions import insert_answer, stored_answer
from rescity.core.errors import InputError, Problem
from rescity.core.storage.flows import COMMIT, ROLLBACK, DuplicateRow, Flow

MAX_KEY = 100


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


def submitted(
    rt: Runtime, idem: IdemKey | None, work: Flow[tuple[int, dict[str, Any]]],
) -> Flow[Submitted]:
    """Run ``work`` (a flow that adds rows but does not commit) once per key, and commit.

    Optimistic: a first submission (the common case) costs no extra lookup; the unique
    (actor, key) constraint catches a replay when its answer is inserted, whose work is
    then rolled back and the stored answer returned instead.
    """
    try:
        status, body = yield from work
        if idem is not None:
            # A copy of this submission that committed first makes this insert conflict.
            yield from insert_answer({
                "actor_id": idem.actor_id, "key": idem.key, "request_hash": idem.request_hash,
                "status_code": status, "response": body, "created_at": rt.now(),
            })
        yield COMMIT
    except DuplicateRow:
        # A copy of this submission (or one raising the same alert) committed first.
        yield ROLLBACK
        stored = None if idem is None else (yield from stored_answer(idem.actor_id, idem.key))
        if stored is None or idem is None:
            raise IdempotencyInFlight("a conflicting request is in progress; retry") from None
        request_hash, status_code, response = stored
        if request_hash != idem.request_hash:
            raise IdempotencyKeyReused(idem.key) from None
        return Submitted(status_code, response, replayed=True)
    return Submitted(status, body)
