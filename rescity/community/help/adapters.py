"""Tables of help requests and volunteers (part II of the community module).

A request's contact details (name, phone, address) are sealed and shown to a volunteer only
after they accepted it; before, an offer shows the kind of help, the area, the time window
and the urgency. Offers keep the matching's history: who was asked, with what score, and
whether they accepted, declined or let the offer expire (the volunteer's reliability).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

# The user, place and household tables that foreign keys here refer to: registered with the
# metadata wherever these models are, not only where something else imported them first.
from rescity.community.shared import adapters as _shared  # noqa: F401
from rescity.community.shared.sealed import SealedColumn
from rescity.core.storage.db import Base, UTCDateTime, utcnow

SCOPE = 400


class Volunteer(Base):
    __tablename__ = "community_ops_volunteer"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), unique=True
    )
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    phone_sealed: Mapped[str | None] = mapped_column(String(300))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Place paths (communities or grids) the volunteer serves, besides their radius.
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    lat: Mapped[float | None] = mapped_column()
    lon: Mapped[float | None] = mapped_column()
    radius_km: Mapped[float] = mapped_column(default=2.0)
    # Before shift slots: {"mon": [[9, 12]], ...}, local hours (copied into ``slots``).
    availability: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Weekly shifts [{"day": "fri", "start": "22:00", "end": "02:00"}], local wall-clock
    # time (see help/shifts.py); none: available at any time.
    slots: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")
    capacity: Mapped[int] = mapped_column(default=2)
    # pending → vetted | rejected; vetted → suspended → vetted (see help/vetting.py)
    vetting_state: Mapped[str] = mapped_column(String(10), default="pending")
    vetting_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    vetted_by: Mapped[str] = mapped_column(String(200), default="")
    vetted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    vetting_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # The consent the volunteer gave when signing up (the text's version, shown on the page).
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consent_version: Mapped[str] = mapped_column(String(20), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HelpRequest(Base):
    __tablename__ = "community_ops_help_request"
    __table_args__ = (Index("ix_community_ops_help_request_scope_status", "scope", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(SCOPE))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_resident.id", ondelete="SET NULL"), index=True
    )
    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[int | None] = mapped_column()
    channel: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lat: Mapped[float | None] = mapped_column()
    lon: Mapped[float | None] = mapped_column()
    description: Mapped[str] = mapped_column(String(1000), default="")
    contact_sealed: Mapped[str | None] = mapped_column(String(2000))
    vulnerable: Mapped[bool] = mapped_column(default=False)
    home_visit: Mapped[bool] = mapped_column(default=False)
    money_handling: Mapped[bool] = mapped_column(default=False)
    volunteers_needed: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class HelpOffer(Base):
    __tablename__ = "community_ops_help_offer"
    __table_args__ = (
        Index("ix_community_ops_help_offer_volunteer_state", "volunteer_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("community_ops_help_request.id"), index=True
    )
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("community_ops_volunteer.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE))
    via: Mapped[str] = mapped_column(String(12))  # "match" or "coordinator"
    score: Mapped[float] = mapped_column(default=0.0)
    state: Mapped[str] = mapped_column(String(10))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HelpReceipt(Base):
    """Money handled for a resident (shopping, medicine): what, how much, who recorded it."""

    __tablename__ = "community_ops_help_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("community_ops_help_request.id"), index=True
    )
    amount_cents: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    items: Mapped[str] = mapped_column(String(500))
    recorded_by: Mapped[int | None] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Sealed with the data keys: moved to the newest key by `rescity community reseal`.
SEALED = (
    SealedColumn(Volunteer, "phone_sealed", "volunteer.phone"),
    SealedColumn(HelpRequest, "contact_sealed", "help_request.contact"),
)
