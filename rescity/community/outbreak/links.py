"""The one place the outbreak capability reads the community's resident register."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.shared.adapters import Dwelling, Household, Resident, home_dwelling_id


def resident_home(session: Session, resident_id: int) -> tuple[Resident, Dwelling] | None:
    """The resident and the dwelling they live in (grid and building), or None."""
    row = session.execute(
        select(Resident, Dwelling)
        .join(Household, Household.id == Resident.household_id)
        .join(Dwelling, Dwelling.id == home_dwelling_id())
        .where(Resident.id == resident_id, Resident.erased_at.is_(None))
    ).first()
    return (row[0], row[1]) if row else None


def resident_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Resident.id, Resident.name).where(Resident.id.in_(ids)))
    return {rid: name for rid, name in rows}
