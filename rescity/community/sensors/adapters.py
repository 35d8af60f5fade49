"""Tables of sensor devices and their events (part II of the community module).

Events are stored minimally: the device, the event type, when, the device's sequence number
and one number (a temperature, a count). No images, no faces, no raw payload. The unique
(device, seq) pair is the replay guard: a message delivered twice (QoS 1 redelivery after a
broker restart, an attacker replaying a capture) cannot be stored twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

# The user and place tables that foreign keys here refer to: registered with the metadata
# wherever these models are, not only where something else imported them first.
from rescity.core import accounts as _accounts  # noqa: F401
from rescity.core.storage.db import Base, UTCDateTime, utcnow

SCOPE = 400


class Device(Base):
    """A door magnet, entrance thermometer, elevator e-bike detector or camera."""

    __tablename__ = "community_ops_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200), default="")
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # What the device watches: e.g. a door magnet on a quarantined resident's door.
    subject_type: Mapped[str] = mapped_column(String(30), default="")
    subject_id: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SensorEvent(Base):
    __tablename__ = "community_ops_sensor_event"
    __table_args__ = (
        UniqueConstraint("device_id", "seq"),
        Index("ix_community_ops_sensor_event_device_kind_at", "device_id", "kind", "at"),
    )

    # BIGINT on PostgreSQL; SQLite needs INTEGER for an auto-incrementing rowid.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                    primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("community_ops_device.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE))
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    seq: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SensorReject(Base):
    """How many messages were rejected, per day and reason (never their content)."""

    __tablename__ = "community_ops_sensor_reject"
    __table_args__ = (UniqueConstraint("day", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date())
    reason: Mapped[str] = mapped_column(String(30))
    count: Mapped[int] = mapped_column(default=0)
