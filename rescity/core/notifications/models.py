"""The outbox tables: one row per notification, one per (notification, channel) delivery.

The notification row *is* the in-app message (the SSE stream reads it); every other channel
gets a delivery row that the worker claims with a lease, sends, and records.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

# The user and place tables that foreign keys here refer to: registered with the metadata
# wherever these models are, not only where something else imported them first.
from rescity.core import accounts as _accounts  # noqa: F401
from rescity.core.storage.db import Base, UTCDateTime, utcnow


class Status(StrEnum):
    PENDING = "pending"  # waiting (maybe leased by a worker, maybe backing off)
    SENDING = "sending"  # a worker is sending it now; found with an expired lease: it died
    SENT = "sent"
    FAILED = "failed"  # gave up: attempts exhausted or the channel cannot work


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("recipient_user_id", "dedupe_key", name="uq_notification_dedupe"),
        Index("ix_notification_recipient", "recipient_user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    urgent: Mapped[bool] = mapped_column(default=False)
    link: Mapped[str | None] = mapped_column(String(400), default=None)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Delivery(Base):
    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_notification_delivery_channel"),
        Index("ix_notification_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(80))  # "email" or "webhook:<name>"
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Preference(Base):
    """How one user wants to be told; without a row: in-app only."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    # A work address of a staff member or volunteer (residents are not notified by e-mail).
    email: Mapped[str] = mapped_column(String(254), default="")
    email_enabled: Mapped[bool] = mapped_column(default=False)
    # Names of configured group-chat robots (setting notify_webhooks) to post to.
    webhooks: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "HH:MM" in the deployment's time zone; equal or empty: no quiet hours.
    quiet_start: Mapped[str] = mapped_column(String(5), default="")
    quiet_end: Mapped[str] = mapped_column(String(5), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
