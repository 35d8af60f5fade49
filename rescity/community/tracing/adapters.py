"""Tables of presence tracing: venues and published traces, and nothing about visits.

No table here names a person, a device or an account, and none records a check-in: visits
live only on visitors' phones. Who registered a venue or published a trace is in the audit
log, like every staff write. A venue's key is sealed with the deployment's data keys.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rescity.community.shared.sealed import SealedColumn
from rescity.core.storage.db import Base, UTCDateTime, utcnow

SCOPE = 400


class Venue(Base):
    __tablename__ = "community_tracing_venue"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    # The venue key qk, sealed (FieldCipher, context "tracing.venue_key").
    key_sealed: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Trace(Base):
    """A health officer's confirmation that a case was at a venue during a window."""

    __tablename__ = "community_tracing_trace"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(
        ForeignKey("community_tracing_venue.id", ondelete="CASCADE"), index=True
    )
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    advice: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class TraceRelease(Base):
    """The public material of one hour slot of a trace (see tracing.domain.release)."""

    __tablename__ = "community_tracing_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    trace_id: Mapped[int] = mapped_column(
        ForeignKey("community_tracing_trace.id", ondelete="CASCADE"), index=True
    )
    ident: Mapped[str] = mapped_column(String(64))
    slot_key: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)


# Sealed with the data keys: moved to the newest key by `rescity community reseal`.
SEALED = (
    SealedColumn(Venue, "key_sealed", "tracing.venue_key"),
)
