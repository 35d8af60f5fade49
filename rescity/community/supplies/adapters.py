"""Tables of the supplies capability.

Quantities are whole units of the item's unit (boxes, bags, bottles). A lot's ``qty`` carries
a CHECK constraint (``qty >= 0``) so that the database itself refuses negative stock, whatever
the code above it does; stock is taken with conditional updates (see ``stock.py``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

# The user, place and household tables that foreign keys here refer to: registered with the
# metadata wherever these models are, not only where something else imported them first.
from rescity.community.shared import adapters as _shared  # noqa: F401
from rescity.core.storage.db import Base, UTCDateTime

SCOPE = 400


class Store(Base):
    __tablename__ = "community_supply_store"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Item(Base):
    __tablename__ = "community_supply_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(20))
    low_stock: Mapped[int] = mapped_column(default=0)  # alert below this, per store

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


class Lot(Base):
    __tablename__ = "community_supply_lot"
    __table_args__ = (
        CheckConstraint("qty >= 0", name="qty_not_negative"),
        Index("ix_community_supply_lot_store_item", "store_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("community_supply_store.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("community_supply_item.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE))
    lot_code: Mapped[str] = mapped_column(String(64), default="")
    expires_on: Mapped[date | None] = mapped_column(Date())
    qty: Mapped[int] = mapped_column()
    received_qty: Mapped[int] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Movement(Base):
    """The stock ledger: every receipt, transfer and issue, per lot (quantities positive)."""

    __tablename__ = "community_supply_movement"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("community_supply_store.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("community_supply_item.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("community_supply_lot.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE))
    kind: Mapped[str] = mapped_column(String(20))  # receipt, transfer_out, transfer_in, issue
    qty: Mapped[int] = mapped_column()
    ref: Mapped[str] = mapped_column(String(100), default="")
    by: Mapped[int | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class SupplyRequest(Base):
    """A household asks for an item; a distribution round for its building fulfils it."""

    __tablename__ = "community_supply_request"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("community_household.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("community_supply_item.id"))
    qty: Mapped[int] = mapped_column()
    note: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(12))  # open, planned, delivered, cancelled
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_supply_delivery.id"))
    created_by: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Round(Base):
    """A distribution round: one store, one building (or a whole grid), one package per
    household plus the households' open requests."""

    __tablename__ = "community_supply_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("community_supply_store.id"), index=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    building: Mapped[str] = mapped_column(String(40), default="")
    control_status: Mapped[str] = mapped_column(String(30), default="")  # at planning
    method: Mapped[str] = mapped_column(String(10))  # door or pickup
    package: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12))  # out, done
    created_by: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    __tablename__ = "community_supply_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("community_supply_round.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("community_household.id"), index=True)
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    method: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))  # pending, delivered, confirmed
    delivered_by: Mapped[int | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by: Mapped[int | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_via: Mapped[str] = mapped_column(String(12), default="")  # household, staff
    note: Mapped[str] = mapped_column(String(300), default="")


class DeliveryLine(Base):
    __tablename__ = "community_supply_delivery_line"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("community_supply_delivery.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("community_supply_item.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("community_supply_lot.id"))
    qty: Mapped[int] = mapped_column()
