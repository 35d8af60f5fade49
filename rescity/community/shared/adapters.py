"""The rows every capability scopes by (dwellings, households, residents, care flags) and
the idempotency records of the lean submission path. Every row carries ``scope``: the path
of its grid (or of its community for gates), so that the policy and list queries scope by a
prefix test.

Personal identifiers are never stored in the clear: ``*_sealed`` holds the AEAD ciphertext
(see :class:`rescity.core.security.personal_data.FieldCipher`) and ``*_digest`` a keyed HMAC
for equality lookups. Rows a phone may update concurrently carry a ``version`` column that
SQLAlchemy checks on every UPDATE (optimistic concurrency).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from rescity.community.shared.sealed import SealedColumn

# The user and place tables that foreign keys here refer to: registered with the metadata
# wherever these models are, not only where something else imported them first.
from rescity.core import accounts as _accounts  # noqa: F401
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
    # Where the member lives when that is not the household's dwelling (a parent in another
    # grid); ``scope`` is then this dwelling's, so the grid worker there looks after them.
    dwelling_id: Mapped[int | None] = mapped_column(ForeignKey("community_dwelling.id"))
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


def home_dwelling_id() -> ColumnElement[int]:
    """SQL: the id of the dwelling a resident lives in (their own ``dwelling_id`` when they
    live away from their household, else the household's); needs Household joined."""
    return func.coalesce(Resident.dwelling_id, Household.dwelling_id)


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


# Sealed with the data keys: moved to the newest key by `rescity community reseal`.
SEALED = (
    SealedColumn(Resident, "phone_sealed", "resident.phone", digest="phone_digest"),
    SealedColumn(Resident, "national_id_sealed", "resident.national_id",
                 digest="national_id_digest"),
)
