"""Visitors: registered by their host (or staff) for a time window; a gate scan admits a
visitor only inside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from rescity.community.access.adapters import (
    Visitor,
)
from rescity.community.shared.domain import check_phone, normalise_phone
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.scoping import (
    get_resident,
    own_resident,
    resident_target,
    scope_filter,
)
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.security.personal_data import mask
from rescity.core.security.policy import Principal, require
from rescity.core.storage.uow import UnitOfWork


@dataclass(frozen=True)
class NewVisitor:
    name: str
    expected_from: datetime
    expected_until: datetime
    phone: str | None = None
    purpose: str = ""
    host_resident_id: int | None = None  # None: the signed-in resident hosts


@dataclass(frozen=True)
class VisitorView:
    id: int
    host_resident_id: int
    name: str
    phone: str | None
    purpose: str
    expected_from: datetime
    expected_until: datetime


def _visitor_view(rt: Runtime, v: Visitor) -> VisitorView:
    phone = None
    if v.phone_sealed:
        phone = mask(rt.cipher.open(v.phone_sealed, context="visitor.phone"))
    return VisitorView(v.id, v.host_resident_id, v.name, phone, v.purpose, v.expected_from,
                       v.expected_until)


def register_visitor(
    uow: UnitOfWork, rt: Runtime, principal: Principal, data: NewVisitor
) -> VisitorView:
    session = uow.session
    if data.host_resident_id is None:
        host = own_resident(session, principal)
        if host is None:
            raise NotFound("you are not registered as a resident")
        require(principal, "community.visitor.create", resident_target(session, principal, host))
    else:
        host = get_resident(session, principal, data.host_resident_id, "community.visitor.create")
    problems = []
    if not data.name.strip() or len(data.name) > 200:
        problems.append(Problem("name", "1–200 characters"))
    if data.phone:
        problems += check_phone(data.phone)
    if data.expected_until <= data.expected_from:
        problems.append(Problem("expected_until", "must be after expected_from"))
    if data.expected_until - data.expected_from > timedelta(days=7):
        problems.append(Problem("expected_until", "a visit lasts at most 7 days"))
    if problems:
        raise InputError(problems, source="visitor")
    visitor = Visitor(
        host_resident_id=host.id, scope=host.scope, name=data.name.strip(),
        purpose=data.purpose[:200], expected_from=data.expected_from,
        expected_until=data.expected_until, created_by=principal.user_id, created_at=rt.now(),
    )
    if data.phone:
        value = normalise_phone(data.phone)
        visitor.phone_sealed = rt.cipher.seal(value, context="visitor.phone")
        visitor.phone_digest = rt.cipher.lookup_digest(value, context="visitor.phone")
    session.add(visitor)
    session.flush()
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.visitor.create",
        record_type="visitor", record_id=visitor.id, scope=visitor.scope,
    )
    uow.commit()
    return _visitor_view(rt, visitor)


def list_visitors(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, days: int = 1
) -> list[VisitorView]:
    session = uow.session
    since = rt.now() - timedelta(days=days)
    scoped = scope_filter(Visitor.scope, principal, "community.visitor.read")
    mine = own_resident(session, principal)
    if mine is not None:
        scoped = scoped | (Visitor.host_resident_id == mine.id)
    rows = list(session.scalars(
        select(Visitor).where(scoped, Visitor.expected_until >= since).order_by(Visitor.id.desc())
    ))
    audit.record(
        session, principal, kind=AuditKind.READ, action="community.visitor.read",
        record_type="visitor", record_id=f"{len(rows)} rows", purpose="access control",
    )
    uow.commit()
    return [_visitor_view(rt, v) for v in rows]
