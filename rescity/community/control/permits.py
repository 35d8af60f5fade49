"""Exit permits (出入证) for buildings whose status lets residents out with a permit only.

A grid worker or health officer issues one to a resident of their area for a reason (a kind:
medical visit, essential work, caring for someone, other; never health details) and a period
of at most 14 days; revoking works at once, as the gate asks the database on every exit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rescity.community.control._community import Resident
from rescity.community.control.adapters import ExitPermit
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, Problem
from rescity.core.security.policy import Principal, Target, require
from rescity.core.storage.uow import UnitOfWork

PERMIT = "community.control.permit"
REASONS = ("medical", "work", "care", "other")
LONGEST = timedelta(days=14)


def issue_permit(uow: UnitOfWork, principal: Principal, now: datetime, *, resident_id: int,
                 reason: str, valid_until: datetime,
                 valid_from: datetime | None = None) -> ExitPermit:
    session = uow.session
    resident = session.get(Resident, resident_id)
    if resident is None or resident.erased_at is not None:
        raise NotFound(f"no resident {resident_id}")
    require(principal, PERMIT, Target(scope=resident.scope))
    start = valid_from or now
    problems = []
    if reason not in REASONS:
        problems.append(Problem("reason", f"one of {', '.join(REASONS)}"))
    if valid_until <= start:
        problems.append(Problem("valid_until", "must be after valid_from"))
    elif valid_until - start > LONGEST:
        problems.append(Problem("valid_until", "a permit lasts at most 14 days"))
    if problems:
        raise InputError(problems, source="exit permit")
    if resident.left_at is not None:
        raise Conflict(f"resident {resident.id} has moved out")
    row = ExitPermit(resident_id=resident.id, scope=resident.scope, reason=reason,
                     valid_from=start, valid_until=valid_until, issued_by=principal.user_id,
                     issued_at=now)
    session.add(row)
    session.flush()
    audit.record(session, principal, kind=AuditKind.WRITE, action=PERMIT,
                 record_type="exit_permit", record_id=row.id, scope=row.scope,
                 detail={"reason": reason})
    uow.commit()
    return row


def revoke_permit(uow: UnitOfWork, principal: Principal, now: datetime,
                  permit_id: int) -> ExitPermit:
    session = uow.session
    row = session.get(ExitPermit, permit_id)
    if row is None:
        raise NotFound(f"no exit permit {permit_id}")
    require(principal, PERMIT, Target(scope=row.scope))
    if row.revoked_at is None:
        row.revoked_at = now
        audit.record(session, principal, kind=AuditKind.WRITE, action="community.control.revoke",
                     record_type="exit_permit", record_id=row.id, scope=row.scope)
    uow.commit()
    return row
