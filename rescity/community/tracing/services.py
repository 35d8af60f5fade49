"""Use cases of presence tracing: register a venue, show its code again, publish a trace,
and the public list phones fetch. Each write is audited in the same transaction.

There is deliberately no use case that receives a check-in: the visitor's page never sends
one (see tracing.domain).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from rescity.community.tracing.adapters import Trace, TraceRelease, Venue
from rescity.community.tracing.domain import (
    MAX_WINDOW_SLOTS,
    RETENTION_DAYS,
    VenueKind,
    b64,
    new_venue_key,
    release,
    slots_between,
    unb64,
    venue_fragment,
)
from rescity.core.audit import AuditKind, record
from rescity.core.config import Settings
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.places import Place
from rescity.core.security.personal_data import FieldCipher
from rescity.core.security.policy import Principal, Target, require, visible_scopes
from rescity.core.storage.db import utcnow
from rescity.core.storage.uow import UnitOfWork

KEY_CONTEXT = "tracing.venue_key"
# A window may end a little after the officer's clock (phones' clocks drift too).
FUTURE_SLACK = timedelta(minutes=10)


@dataclass(frozen=True)
class TracingRuntime:
    settings: Settings
    cipher: FieldCipher
    zone: ZoneInfo
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def create(cls, settings: Settings) -> TracingRuntime:
        return cls(settings, FieldCipher.from_settings(settings),
                   ZoneInfo(settings.community_timezone))

    def with_clock(self, clock: Callable[[], datetime]) -> TracingRuntime:
        return replace(self, clock=clock)

    def now(self) -> datetime:
        return self.clock()


def venue_target(venue: Venue) -> Target:
    return Target(scope=venue.scope)


def register_venue(uow: UnitOfWork, rt: TracingRuntime, principal: Principal, *, place: Place,
                   name: str, kind: str) -> tuple[Venue, str]:
    """A new venue and the fragment of its check-in URL (venue key, name and kind)."""
    require(principal, "community.venue.create", Target(scope=place.path))
    problems = []
    name = " ".join(name.split())
    if not 1 <= len(name) <= 120:
        problems.append(Problem("name", "1 to 120 characters"))
    if kind not in set(VenueKind):
        problems.append(Problem("kind", f"one of {', '.join(VenueKind)}"))
    if problems:
        raise InputError(problems)
    qk = new_venue_key()
    venue = Venue(scope=place.path, name=name, kind=kind,
                  key_sealed=rt.cipher.seal(b64(qk), context=KEY_CONTEXT),
                  created_at=rt.now())
    uow.session.add(venue)
    uow.session.flush()
    record(uow.session, principal, kind=AuditKind.WRITE, action="community.venue.create",
           record_type="tracing_venue", record_id=venue.id, scope=venue.scope,
           detail={"kind": kind})
    uow.commit()
    return venue, venue_fragment(qk, name, kind)


def get_venue(uow: UnitOfWork, principal: Principal, venue_id: int, action: str) -> Venue:
    venue = uow.session.get(Venue, venue_id)
    if venue is None:
        raise NotFound(f"no venue {venue_id}")
    require(principal, action, venue_target(venue))
    return venue


def venue_code(uow: UnitOfWork, rt: TracingRuntime, principal: Principal,
               venue_id: int) -> tuple[Venue, str]:
    """The check-in fragment again (to reprint the poster): opens the venue key, audited as
    a read of a secret."""
    venue = get_venue(uow, principal, venue_id, "community.venue.read")
    qk = unb64(rt.cipher.open(venue.key_sealed, context=KEY_CONTEXT))
    record(uow.session, principal, kind=AuditKind.READ, action="community.venue.read_key",
           record_type="tracing_venue", record_id=venue.id, scope=venue.scope,
           purpose="print the venue's QR code")
    uow.commit()
    return venue, venue_fragment(qk, venue.name, venue.kind)


def list_venues(uow: UnitOfWork, principal: Principal) -> list[Venue]:
    scopes = visible_scopes(principal, "community.venue.read")
    if not scopes:
        return []
    stmt = select(Venue).where(
        or_(*(Venue.scope.startswith(s, autoescape=True) for s in scopes))
    ).order_by(Venue.name, Venue.id).limit(1000)
    return list(uow.session.scalars(stmt))


def publish_trace(uow: UnitOfWork, rt: TracingRuntime, principal: Principal, *, venue_id: int,
                  start: datetime, end: datetime, advice: str) -> Trace:
    """Publish the material of the venue's slots in ``[start, end)`` and of no other slot."""
    venue = get_venue(uow, principal, venue_id, "community.trace.publish")
    now = rt.now()
    problems = []
    advice = advice.strip()
    if not 1 <= len(advice) <= 1000:
        problems.append(Problem("advice", "1 to 1000 characters"))
    if end <= start:
        problems.append(Problem("end", "the window must end after it starts"))
    elif len(slots_between(start, end)) > MAX_WINDOW_SLOTS:
        problems.append(Problem("end", f"a window covers at most {MAX_WINDOW_SLOTS} hours"))
    if end > now + FUTURE_SLACK:
        problems.append(Problem("end", "a confirmed presence lies in the past"))
    if start < now - timedelta(days=RETENTION_DAYS):
        problems.append(Problem("start", f"phones keep check-ins for {RETENTION_DAYS} days"))
    if problems:
        raise InputError(problems)
    qk = unb64(rt.cipher.open(venue.key_sealed, context=KEY_CONTEXT))
    trace = Trace(venue_id=venue.id, window_start=start, window_end=end, advice=advice,
                  published_at=now)
    uow.session.add(trace)
    uow.session.flush()
    for item in release(qk, start, end, advice):
        uow.session.add(TraceRelease(trace_id=trace.id, ident=item.ident, slot_key=item.key,
                                     message=item.message))
    record(uow.session, principal, kind=AuditKind.WRITE, action="community.trace.publish",
           record_type="tracing_trace", record_id=trace.id, scope=venue.scope,
           detail={"venue_id": venue.id, "start": start.isoformat(), "end": end.isoformat()})
    uow.commit()
    return trace


def list_traces(uow: UnitOfWork, principal: Principal) -> list[tuple[Trace, Venue]]:
    scopes = visible_scopes(principal, "community.trace.read")
    if not scopes:
        return []
    stmt = select(Trace, Venue).join(Venue, Venue.id == Trace.venue_id).where(
        or_(*(Venue.scope.startswith(s, autoescape=True) for s in scopes))
    ).order_by(Trace.published_at.desc(), Trace.id.desc()).limit(200)
    return [(row[0], row[1]) for row in uow.session.execute(stmt).all()]


def published(uow: UnitOfWork, rt: TracingRuntime) -> list[dict[str, str]]:
    """Every slot released in the retention period, in an order that says nothing about
    which trace or venue it belongs to (sorted by identifier)."""
    since = rt.now() - timedelta(days=RETENTION_DAYS)
    stmt = select(TraceRelease.ident, TraceRelease.slot_key, TraceRelease.message).join(
        Trace, Trace.id == TraceRelease.trace_id
    ).where(Trace.published_at >= since).order_by(TraceRelease.ident)
    return [{"id": i, "key": k, "msg": m} for i, k, m in uow.session.execute(stmt)]
