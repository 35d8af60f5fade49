"""Tables of the outbreak capability.

- :class:`OutbreakCase`: one record per person (一人一档), in the grid where they live.
  Address, coordinates and notes are sealed with the field cipher; the resident link is an id.
- :class:`Cluster`: a named group of cases (a canteen, a building) for the transmission chain.
- :class:`Release`: a published table of noised counts, stored so that every view shows the
  same numbers (fresh noise per view would average out).
- :class:`LedgerEntry`: the privacy budget spent, one row per release; :class:`BudgetLock`
  rows serialise releases so two at once cannot both pass the budget check.
- :class:`NoisedCell`: the dashboard's noised counts, one draw per figure, day and exact value.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

# The user, place and household tables that foreign keys here refer to: registered with the
# metadata wherever these models are, not only where something else imported them first.
from rescity.community.shared import adapters as _shared  # noqa: F401
from rescity.community.shared.sealed import SealedColumn
from rescity.core.storage.db import Base, UTCDateTime, utcnow

SCOPE = 400


class Cluster(Base):
    __tablename__ = "outbreak_cluster"
    __table_args__ = (UniqueConstraint("scope", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutbreakCase(Base):
    __tablename__ = "outbreak_case"
    __table_args__ = (Index("ix_outbreak_case_scope_status", "scope", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))  # the grid
    scope: Mapped[str] = mapped_column(String(SCOPE))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_resident.id", ondelete="SET NULL"), index=True)
    building: Mapped[str] = mapped_column(String(40), default="")
    address_sealed: Mapped[str | None] = mapped_column(String(600))
    location_sealed: Mapped[str | None] = mapped_column(String(300))
    note_sealed: Mapped[str | None] = mapped_column(String(3000))
    status: Mapped[str] = mapped_column(String(20))
    onset_date: Mapped[date | None] = mapped_column(Date())
    confirmed_date: Mapped[date | None] = mapped_column(Date(), index=True)
    recovered_date: Mapped[date | None] = mapped_column(Date())
    source_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbreak_case.id", ondelete="SET NULL"))
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbreak_cluster.id", ondelete="SET NULL"))
    exposure_date: Mapped[date | None] = mapped_column(Date())
    recorded_by: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the record was closed (recovered): retention counts from here.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Release(Base):
    __tablename__ = "outbreak_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    granularity: Mapped[str] = mapped_column(String(8))
    first_day: Mapped[date] = mapped_column(Date())
    last_day: Mapped[date] = mapped_column(Date())
    epsilon: Mapped[float] = mapped_column()
    scale: Mapped[float] = mapped_column()
    k: Mapped[int] = mapped_column()
    # [{"grid": code, "period": "YYYY-MM-DD", "count": int | None}]: noised, never exact.
    cells: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    released_by: Mapped[int | None] = mapped_column()


class BudgetLock(Base):
    """One row per budget; a release updates it first, which locks it until commit."""

    __tablename__ = "outbreak_budget_lock"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    releases: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerEntry(Base):
    __tablename__ = "outbreak_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    # ε in millionths: sums stay exact (no float drift deciding a refusal).
    epsilon_micro: Mapped[int] = mapped_column(BigInteger)
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbreak_release.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column()


class NoisedCell(Base):
    __tablename__ = "outbreak_noised_cell"
    __table_args__ = (UniqueConstraint("key", "exact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    exact: Mapped[int] = mapped_column(BigInteger)
    noised: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date(), index=True)


# Sealed with the data keys: moved to the newest key by `rescity community reseal`.
SEALED = (
    SealedColumn(OutbreakCase, "address_sealed", "outbreak_case.address"),
    SealedColumn(OutbreakCase, "location_sealed", "outbreak_case.location"),
    SealedColumn(OutbreakCase, "note_sealed", "outbreak_case.note"),
)
