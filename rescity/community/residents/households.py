"""Dwellings and households: a grid's dwelling found or created, and a household in it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.shared.adapters import Dwelling, Household
from rescity.community.shared.runtime import Runtime
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, Problem
from rescity.core.places import Place, PlaceLevel, get_place
from rescity.core.security.policy import Principal, Target, require
from rescity.core.storage.uow import UnitOfWork


def grid_of(session: Session, code: str) -> Place:
    place = get_place(session, code)
    if place.level != PlaceLevel.GRID:
        raise InputError([Problem("grid", f"'{code}' is a {place.level}, not a grid")])
    return place


def ensure_dwelling(session: Session, grid: Place, building: str, unit: str, room: str) -> Dwelling:
    problems = []
    if not building.strip():
        problems.append(Problem("building", "must not be empty"))
    if not room.strip():
        problems.append(Problem("room", "must not be empty"))
    if problems:
        raise InputError(problems, source="dwelling")
    found = session.scalar(
        select(Dwelling).where(
            Dwelling.grid_id == grid.id, Dwelling.building == building.strip(),
            Dwelling.unit == unit.strip(), Dwelling.room == room.strip(),
        )
    )
    if found is not None:
        return found
    dwelling = Dwelling(
        grid_id=grid.id, scope=grid.path, building=building.strip(), unit=unit.strip(),
        room=room.strip(),
    )
    session.add(dwelling)
    session.flush()
    return dwelling


def new_household(session: Session, dwelling: Dwelling) -> Household:
    household = Household(dwelling_id=dwelling.id, scope=dwelling.scope)
    session.add(household)
    session.flush()
    return household


def create_household(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, grid_code: str, building: str,
    unit: str, room: str,
) -> Household:
    grid = grid_of(uow.session, grid_code)
    require(principal, "community.household.create", Target(scope=grid.path))
    household = new_household(uow.session, ensure_dwelling(uow.session, grid, building, unit, room))
    audit.record(
        uow.session, principal, kind=AuditKind.WRITE, action="community.household.create",
        record_type="household", record_id=household.id, scope=household.scope,
    )
    uow.commit()
    return household
