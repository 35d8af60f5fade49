"""Tables of the community module. Every row carries ``scope``: the path of its grid (or of
its community for gates), so that the policy and list queries scope by a prefix test.

Personal identifiers are never stored in the clear: ``*_sealed`` holds the AEAD ciphertext
(see :class:`rescity.core.security.personal_data.FieldCipher`) and ``*_digest`` a keyed HMAC
for equality lookups. Rows a phone may update concurrently carry a ``version`` column that
SQLAlchemy checks on every UPDATE (optimistic concurrency).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rescity.core.storage.db import Base, UTCDateTime, utcnow

SCOPE = 400


class Dwelling(Base):
    __tablename__ = "community_dwelling"
    __table_args__ = (UniqueConstraint("grid_id", "building", "unit", "room"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    building: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20), default="")
    room: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def label(self) -> str:
        return "-".join(p for p in (self.building, self.unit, self.room) if p)


class Household(Base):
    __tablename__ = "community_household"

    id: Mapped[int] = mapped_column(primary_key=True)
    dwelling_id: Mapped[int] = mapped_column(ForeignKey("community_dwelling.id"), index=True)
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Resident(Base):
    __tablename__ = "community_resident"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("community_household.id"), index=True
    )
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    phone_sealed: Mapped[str | None] = mapped_column(String(300))
    phone_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    national_id_sealed: Mapped[str | None] = mapped_column(String(300))
    national_id_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    birth_year: Mapped[int | None] = mapped_column()
    relation: Mapped[str] = mapped_column(String(20), default="self")
    registered_via: Mapped[str] = mapped_column(String(20))
    registered_by: Mapped[int | None] = mapped_column()
    quarantine_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deletion_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class CareFlag(Base):
    """Special care (elderly living alone, disabled, chronic illness), only with consent."""

    __tablename__ = "community_care_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("community_resident.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    purpose: Mapped[str] = mapped_column(String(200))
    consent_by: Mapped[str] = mapped_column(String(20))  # "resident" or "guardian"
    consent_recorded_by: Mapped[int | None] = mapped_column()
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Invitation(Base):
    """A code (and QR) with which people register themselves in a community or grid."""

    __tablename__ = "community_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_by: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int] = mapped_column(default=200)
    uses: Mapped[int] = mapped_column(default=0)


class CheckIn(Base):
    __tablename__ = "community_checkin"
    __table_args__ = (Index("ix_community_checkin_scope_day", "scope", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("community_resident.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(SCOPE))
    day: Mapped[date] = mapped_column(Date())
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    temperature_c: Mapped[float] = mapped_column()
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    risk: Mapped[list[str]] = mapped_column(JSON, default=list)
    fever: Mapped[bool] = mapped_column(default=False)
    submitted_by: Mapped[int | None] = mapped_column()


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


class Alert(Base):
    """An alert from any source (check-in, gate, sensor, work order) with its lifecycle."""

    __tablename__ = "community_alert"
    __table_args__ = (Index("ix_community_alert_scope_status", "scope", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(SCOPE))
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16), default="new")
    source: Mapped[str] = mapped_column(String(20))  # "checkin", "gate", "sweep", "sensor", …
    source_ref: Mapped[str] = mapped_column(String(100), default="")
    subject_type: Mapped[str] = mapped_column(String(30), default="")
    subject_id: Mapped[int | None] = mapped_column()
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[int | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column()
    resolution: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class AlertRule(Base):
    """A community's override of the default rule values (``alert_rules.toml``)."""

    __tablename__ = "community_alert_rule"
    __table_args__ = (UniqueConstraint("place_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdempotencyRecord(Base):
    """The stored answer to a submission, so a retried submission is answered, not repeated."""

    __tablename__ = "community_idempotency"
    __table_args__ = (UniqueConstraint("actor_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column()
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class DeletionRequest(Base):
    __tablename__ = "community_deletion_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("community_resident.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    requested_by: Mapped[int | None] = mapped_column()
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="pending")
    handled_by: Mapped[int | None] = mapped_column()
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
