"""Setting, lifting and listing control statuses, and the per-building board for the map.

A health officer sets a status within the places granted to them; every change is audited
and notifies the grid worker in the same transaction. A new status on a building (or place)
ends the one it overlaps there, so at most one status per target is in force at a time;
statuses on a building and on its grid can coexist, and the gate applies the strictest.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from rescity.community.control._community import Dwelling, Household
from rescity.community.control.adapters import ControlStatus
from rescity.community.control.cases import case_counts
from rescity.community.control.domain import StatusKind, status_kinds, validate_period
from rescity.community.control.notify import notify_grid_worker
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.i18n import catalog
from rescity.core.places import Place, PlaceLevel, get_place
from rescity.core.security.policy import Principal, Target, require, visible_scopes
from rescity.core.storage.uow import UnitOfWork

SET = "community.control.set"
READ = "community.control.read"


def visible(column: InstrumentedAttribute[str], principal: Principal,
            action: str) -> ColumnElement[bool]:
    """SQL condition: the row's scope lies under a place where ``action`` is granted."""
    scopes = visible_scopes(principal, action)
    if not scopes:
        return false()
    return or_(*(column.startswith(s, autoescape=True) for s in scopes))


@dataclass(frozen=True)
class NewStatus:
    place: str  # a place code: a grid for one building, any place for all below it
    status: str
    building: str = ""
    starts_at: datetime | None = None  # None: now
    ends_at: datetime | None = None  # None: until lifted
    note: str = ""


def set_status(uow: UnitOfWork, principal: Principal, now: datetime,
               data: NewStatus) -> ControlStatus:
    session = uow.session
    place = get_place(session, data.place)
    require(principal, SET, Target(scope=place.path))
    starts = data.starts_at or now
    building = data.building.strip()
    problems = validate_period(starts, data.ends_at)
    if data.status not in status_kinds():
        problems.append(Problem("status", f"unknown status '{data.status}'; one of "
                                          f"{', '.join(status_kinds())}"))
    if building and place.level != PlaceLevel.GRID:
        problems.append(Problem("building", "a building is named within a grid"))
    elif building and session.scalar(select(Dwelling.id).where(
            Dwelling.grid_id == place.id, Dwelling.building == building).limit(1)) is None:
        problems.append(Problem("building", f"no building '{building}' in grid {place.code}"))
    if len(data.note) > 500:
        problems.append(Problem("note", "at most 500 characters"))
    if problems:
        raise InputError(problems, source="control status")
    _end_overlapping(session, principal, now, place.id, building, starts, data.ends_at)
    row = ControlStatus(place_id=place.id, scope=place.path, building=building,
                        status=data.status, starts_at=starts, ends_at=data.ends_at,
                        note=data.note, set_by=principal.user_id, set_at=now)
    session.add(row)
    session.flush()
    audit.record(session, principal, kind=AuditKind.WRITE, action=SET,
                 record_type="control_status", record_id=row.id, scope=row.scope,
                 detail={"status": row.status, "building": building})
    _notify(session, row, now, "set")
    uow.commit()
    return row


def _end_overlapping(session: Session, principal: Principal, now: datetime, place_id: int,
                     building: str, starts: datetime, ends: datetime | None) -> None:
    rows = session.scalars(select(ControlStatus).where(
        ControlStatus.place_id == place_id, ControlStatus.building == building,
        or_(ControlStatus.ends_at.is_(None), ControlStatus.ends_at > starts),
        *([ControlStatus.starts_at < ends] if ends is not None else []),
    ))
    for old in rows:
        old.ends_at = max(old.starts_at, starts)
        old.lifted_at, old.lifted_by = now, principal.user_id


def lift_status(uow: UnitOfWork, principal: Principal, now: datetime,
                status_id: int) -> ControlStatus:
    """End a status now (or cancel one that has not started)."""
    session = uow.session
    row = session.get(ControlStatus, status_id)
    if row is None:
        raise NotFound(f"no control status {status_id}")
    require(principal, SET, Target(scope=row.scope))
    if row.ends_at is None or row.ends_at > now:
        row.ends_at = max(row.starts_at, now)
        row.lifted_at, row.lifted_by = now, principal.user_id
        audit.record(session, principal, kind=AuditKind.WRITE, action="community.control.lift",
                     record_type="control_status", record_id=row.id, scope=row.scope)
        _notify(session, row, now, "lifted")
    uow.commit()
    return row


def _notify(session: Session, row: ControlStatus, now: datetime, change: str) -> None:
    notify_grid_worker(
        session, kind="control_status", scope=row.scope, now=now, source="control",
        source_ref=str(row.id), severity="high" if change == "set" else "medium",
        dedup_key=f"control:{row.id}:{change}",
        detail={"change": change, "status": row.status, "building": row.building,
                "summary": _summary(row, change),
                "starts_at": row.starts_at.isoformat(),
                "ends_at": row.ends_at.isoformat() if row.ends_at else None},
    )


def _summary(row: ControlStatus, change: str) -> dict[str, str]:
    """The alert's one line for the grid worker, in both languages (no personal data)."""
    kind = status_kinds().get(row.status)
    key = "ctl.alert.lifted" if change == "lifted" else "ctl.alert.set"
    return {lang: catalog(lang)[key].format(
        status=kind.label(lang) if kind else row.status,
        where=catalog(lang)["ctl.building"].format(building=row.building) if row.building
        else catalog(lang)["ctl.whole_place"]) for lang in ("zh", "en")}


def list_statuses(session: Session, principal: Principal, now: datetime, *,
                  current_only: bool = True) -> list[ControlStatus]:
    """Statuses in force or still to come (or all, newest first) under the principal's
    places, and those set on places above them that cover them."""
    stmt = select(ControlStatus).where(_covering(principal))
    if current_only:
        stmt = stmt.where(or_(ControlStatus.ends_at.is_(None), ControlStatus.ends_at > now))
    return list(session.scalars(stmt.order_by(ControlStatus.starts_at.desc(),
                                              ControlStatus.id.desc()).limit(500)))


def _covering(principal: Principal) -> ColumnElement[bool]:
    scopes = visible_scopes(principal, READ)
    if not scopes:
        return false()
    return or_(*(or_(ControlStatus.scope.startswith(s, autoescape=True),
                     func.substr(s, 1, func.length(ControlStatus.scope)) == ControlStatus.scope)
                 for s in scopes))


@dataclass(frozen=True)
class BuildingRow:
    grid_id: int
    grid: str  # the grid's code
    grid_place: Place
    building: str
    households: int
    status: StatusKind | None
    status_id: int | None
    ends_at: datetime | None
    cases: int | None  # None: no case records available


def building_board(uow: UnitOfWork, principal: Principal, now: datetime) -> list[BuildingRow]:
    """Every building of the register the principal may see, with the strictest status in
    force and the case count (when case records exist)."""
    session = uow.session
    require(principal, READ, Target(scope=None, owner_id=principal.user_id))
    buildings = session.execute(
        select(Dwelling.grid_id, Dwelling.scope, Dwelling.building, func.count(Household.id))
        .outerjoin(Household, Household.dwelling_id == Dwelling.id)
        .where(visible(Dwelling.scope, principal, READ))
        .group_by(Dwelling.grid_id, Dwelling.scope, Dwelling.building)
    ).all()
    in_force = list_statuses(session, principal, now)
    in_force = [c for c in in_force if c.starts_at <= now]
    by_target: dict[tuple[int, str], list[ControlStatus]] = defaultdict(list)
    for c in in_force:
        by_target[(c.place_id, c.building)].append(c)
    grids = {p.id: p for p in session.scalars(
        select(Place).where(Place.id.in_({b[0] for b in buildings})))}
    counts = case_counts(session, principal)
    kinds = status_kinds()
    out: list[BuildingRow] = []
    for grid_id, scope, building, households in buildings:
        applying = by_target[(grid_id, building)] + [
            c for c in in_force if not c.building and scope.startswith(c.scope)]
        known = [c for c in applying if c.status in kinds]
        best = min(known, key=lambda c: kinds[c.status].rank, default=None)
        out.append(BuildingRow(
            grid_id, grids[grid_id].code, grids[grid_id], building, int(households),
            kinds[best.status] if best else None, best.id if best else None,
            best.ends_at if best else None,
            counts.get((grid_id, building), 0) if counts else None))
    out.sort(key=lambda r: (r.grid, _natural(r.building)))
    return out


def _natural(label: str) -> tuple[int, str]:
    return (int(label), "") if label.isdigit() else (1 << 30, label)


def building_status(session: Session, grid_id: int, grid_scope: str, building: str,
                    at: datetime) -> StatusKind | None:
    """The strictest status in force at ``at`` for one building (for supplies rounds)."""
    kinds = status_kinds()
    rows = session.execute(select(ControlStatus.status, ControlStatus.scope,
                                  ControlStatus.building, ControlStatus.place_id).where(
        ControlStatus.starts_at <= at,
        or_(ControlStatus.ends_at.is_(None), ControlStatus.ends_at > at))).all()
    found = [kinds[s] for s, scope, b, pid in rows if s in kinds and (
        (pid == grid_id and b == building) or (not b and grid_scope.startswith(scope)))]
    return min(found, key=lambda k: k.rank, default=None)
