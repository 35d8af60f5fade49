"""The control-status table and the two statements the gate's scan flow runs.

A row applies to one building of a grid (``place_id`` the grid, ``building`` its label as in
the register's dwellings) or, with ``building`` empty, to every building under the place.
Lifting a status early sets ``ends_at`` (and who lifted it), so the gate only ever asks for
rows whose period contains the moment of the scan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Table, and_, bindparam, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from rescity.community.control._community import Dwelling, Household, Resident
from rescity.core.storage.db import Base, UTCDateTime
from rescity.core.storage.flows import All, Flow, Scalar


class ControlStatus(Base):
    __tablename__ = "community_control_status"
    __table_args__ = (Index("ix_community_control_status_target", "place_id", "building"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(400), index=True)
    building: Mapped[str] = mapped_column(String(40), default="")  # "": the whole place
    status: Mapped[str] = mapped_column(String(30))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")
    set_by: Mapped[int | None] = mapped_column()
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_by: Mapped[int | None] = mapped_column()
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ExitPermit(Base):
    """An exit permit (出入证): lets one resident leave a building whose status admits exits
    with a permit only (a medical visit, essential work), for a period."""

    __tablename__ = "community_control_exit_permit"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("community_resident.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(400), index=True)
    reason: Mapped[str] = mapped_column(String(30))  # a kind, never health details
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[int | None] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


_C: Table = ControlStatus.__table__  # type: ignore[assignment]
_H: Table = Household.__table__  # type: ignore[assignment]
_D: Table = Dwelling.__table__  # type: ignore[assignment]
_R: Table = Resident.__table__  # type: ignore[assignment]
_P: Table = ExitPermit.__table__  # type: ignore[assignment]

# The statuses in force for a household's building: set on its building, or on a place that
# contains its grid (scopes are paths of ids: no LIKE wildcard can occur in them).
_IN_FORCE_FOR_HOUSEHOLD = select(_C.c.status).select_from(
    _H.join(_D, _D.c.id == _H.c.dwelling_id).join(_C, or_(
        and_(_C.c.place_id == _D.c.grid_id, _C.c.building == _D.c.building),
        and_(_C.c.building == "", _D.c.scope.startswith(_C.c.scope)),
    ))
).where(
    _H.c.id == bindparam("household_id"), _C.c.starts_at <= bindparam("at"),
    or_(_C.c.ends_at.is_(None), _C.c.ends_at > bindparam("at_end")),
)
_PERMIT_IN_FORCE = select(_P.c.id).where(
    _P.c.resident_id == bindparam("resident_id"), _P.c.valid_from <= bindparam("at"),
    _P.c.valid_until > bindparam("at_end"), _P.c.revoked_at.is_(None),
).limit(1)


def statuses_in_force(household_id: int, at: datetime) -> Flow[list[str]]:
    """Keys of the statuses in force at ``at`` for the household's building."""
    rows = yield All(_IN_FORCE_FOR_HOUSEHOLD,
                     {"household_id": household_id, "at": at, "at_end": at})
    return [r[0] for r in rows]


def permit_in_force(resident_id: int, at: datetime) -> Flow[bool]:
    """Whether the resident holds an exit permit valid at ``at``."""
    found = yield Scalar(_PERMIT_IN_FORCE, {"resident_id": resident_id, "at": at, "at_end": at})
    return found is not None
