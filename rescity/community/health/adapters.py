"""Health check-in rows, and the statement that inserts one on the lean submission path
(conventions: :mod:`rescity.community.shared.adapters`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from rescity.community.shared.adapters import SCOPE
from rescity.core.storage.db import Base, UTCDateTime
from rescity.core.storage.flows import Flow, Scalar, insert_all


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


_CHECKIN: Table = CheckIn.__table__  # type: ignore[assignment]
_INSERT_CHECKIN = insert_all(_CHECKIN, returning_id=True)


def insert_checkin(values: dict[str, Any]) -> Flow[int]:
    """Insert one check-in row; returns its id."""
    return int((yield Scalar(_INSERT_CHECKIN, values)))
