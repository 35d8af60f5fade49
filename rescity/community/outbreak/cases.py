"""Case records (一人一档): recording, updating and reading them, within the officer's scope.

Every record sits in a grid (the resident's, or the one given). Address, coordinates and
notes are sealed; reading them, one case or a list, leaves an audit row in the same
transaction. Scope comes from the policy: an officer of one sub-district sees nothing of
another's cases, and a case that exists elsewhere answers "not found".
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session

from rescity.community.outbreak.adapters import Cluster, OutbreakCase
from rescity.community.outbreak.chain import Node
from rescity.community.outbreak.domain import CaseInput, CaseStatus, check
from rescity.community.outbreak.links import resident_home, resident_names
from rescity.community.outbreak.runtime import OutbreakRuntime
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.places import Place, PlaceLevel, community_path, get_place
from rescity.core.security.policy import Principal, Target, is_allowed, require, visible_scopes
from rescity.core.storage.uow import UnitOfWork

READ = "community.outbreak.case.read"


@dataclass(frozen=True)
class CaseView:
    id: int
    status: str
    grid: str
    grid_name: str
    building: str
    resident_id: int | None
    resident_name: str
    address: str
    lat: float | None
    lon: float | None
    note: str
    onset_date: date | None
    confirmed_date: date | None
    recovered_date: date | None
    source_case_id: int | None
    cluster: str
    exposure_date: date | None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def scope_clause(principal: Principal, action: str, column: Any) -> ColumnElement[bool]:
    """Rows under any place where ``action`` is granted (nothing when it is granted nowhere)."""
    scopes = visible_scopes(principal, action)
    if not scopes:
        return false()
    return or_(*(column.startswith(s, autoescape=True) for s in scopes))


def _seal(rt: OutbreakRuntime, value: str, name: str) -> str | None:
    return rt.cipher.seal(value, context=f"outbreak_case.{name}") if value else None


def _open(rt: OutbreakRuntime, sealed: str | None, name: str) -> str:
    return rt.cipher.open(sealed, context=f"outbreak_case.{name}") if sealed else ""


def _grid_of(session: Session, data: CaseInput) -> tuple[Place, str]:
    if data.resident_id is not None:
        home = resident_home(session, data.resident_id)
        if home is None:
            raise InputError([Problem("resident_id", "no such resident")])
        dwelling = home[1]
        grid = session.get(Place, dwelling.grid_id)
        assert grid is not None
        return grid, data.building or dwelling.building
    grid = get_place(session, data.grid)
    if grid.level != PlaceLevel.GRID.value:
        raise InputError([Problem("grid", "must be a grid")])
    return grid, data.building


def _cluster(session: Session, grid: Place, name: str) -> int | None:
    """The cluster of that name in the grid's community, created on first use."""
    if not name.strip():
        return None
    scope = community_path(grid.path) or grid.path
    found = session.scalar(select(Cluster).where(Cluster.scope == scope,
                                                 Cluster.name == name.strip()))
    if found is None:
        place = session.scalar(select(Place).where(Place.path == scope)) or grid
        found = Cluster(place_id=place.id, scope=scope, name=name.strip())
        session.add(found)
        session.flush()
    return found.id


def _readable(session: Session, principal: Principal, case_id: int) -> OutbreakCase:
    case = session.get(OutbreakCase, case_id)
    if case is None or not is_allowed(principal, READ, Target(scope=case.scope)):
        raise NotFound(f"no case {case_id}")
    return case


def _apply(session: Session, rt: OutbreakRuntime, principal: Principal, case: OutbreakCase,
           data: CaseInput) -> None:
    check(data, today=rt.today())
    grid, building = _grid_of(session, data)
    require(principal, "community.outbreak.case.write", Target(scope=grid.path))
    if data.source_case_id is not None:
        source = _readable(session, principal, data.source_case_id)
        if case.id is not None and source.id == case.id:
            raise InputError([Problem("source_case_id", "a case cannot be its own source")])
    case.place_id, case.scope, case.building = grid.id, grid.path, building[:40]
    case.resident_id = data.resident_id
    case.address_sealed = _seal(rt, data.address, "address")
    location = f"{data.lat},{data.lon}" if data.lat is not None else ""
    case.location_sealed = _seal(rt, location, "location")
    case.note_sealed = _seal(rt, data.note, "note")
    case.status = data.status.value
    case.onset_date, case.confirmed_date = data.onset_date, data.confirmed_date
    case.recovered_date = data.recovered_date
    case.source_case_id, case.exposure_date = data.source_case_id, data.exposure_date
    case.cluster_id = _cluster(session, grid, data.cluster)
    case.updated_at = rt.now()
    case.closed_at = rt.now() if data.status == CaseStatus.RECOVERED else None


def record_case(uow: UnitOfWork, rt: OutbreakRuntime, principal: Principal,
                data: CaseInput) -> CaseView:
    session = uow.session
    case = OutbreakCase(recorded_by=principal.user_id, created_at=rt.now())
    _apply(session, rt, principal, case, data)
    session.add(case)
    session.flush()
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.outbreak.case.create",
                 record_type="outbreak_case", record_id=case.id, scope=case.scope,
                 detail={"status": case.status})
    view = _view(session, rt, case, {})
    uow.commit()
    return view


def input_of(session: Session, rt: OutbreakRuntime, case: OutbreakCase) -> CaseInput:
    """The record as an input, to change some fields and store it again."""
    location = _open(rt, case.location_sealed, "location")
    lat, lon = (float(v) for v in location.split(",")) if location else (None, None)
    grid = session.get(Place, case.place_id)
    cluster = session.get(Cluster, case.cluster_id) if case.cluster_id else None
    return CaseInput(
        status=CaseStatus(case.status), onset_date=case.onset_date,
        confirmed_date=case.confirmed_date, recovered_date=case.recovered_date,
        resident_id=case.resident_id, grid=grid.code if grid else "", building=case.building,
        address=_open(rt, case.address_sealed, "address"), lat=lat, lon=lon,
        note=_open(rt, case.note_sealed, "note"), source_case_id=case.source_case_id,
        cluster=cluster.name if cluster else "", exposure_date=case.exposure_date,
    )


def update_case(uow: UnitOfWork, rt: OutbreakRuntime, principal: Principal, case_id: int,
                changes: dict[str, Any]) -> CaseView:
    """Change the fields given (status, dates, links …); the rest stays as recorded."""
    session = uow.session
    case = _readable(session, principal, case_id)
    require(principal, "community.outbreak.case.write", Target(scope=case.scope))
    known = {f.name for f in fields(CaseInput)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise InputError([Problem(name, "unknown field") for name in unknown])
    data = replace(input_of(session, rt, case), **changes)
    if "resident_id" in changes and changes["resident_id"] is not None:
        data = replace(data, grid="")
    _apply(session, rt, principal, case, data)
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.outbreak.case.update",
                 record_type="outbreak_case", record_id=case.id, scope=case.scope,
                 detail={"fields": sorted(changes)})
    view = _view(session, rt, case, {})
    uow.commit()
    return view


def _view(session: Session, rt: OutbreakRuntime, case: OutbreakCase,
          names: dict[int, str]) -> CaseView:
    data = input_of(session, rt, case)
    grid = session.get(Place, case.place_id)
    if case.resident_id is not None and case.resident_id not in names:
        names = names | resident_names(session, {case.resident_id})
    return CaseView(
        id=case.id, status=case.status, grid=grid.code if grid else "",
        grid_name=grid.name_zh if grid else "", building=case.building,
        resident_id=case.resident_id, resident_name=names.get(case.resident_id or 0, ""),
        address=data.address, lat=data.lat, lon=data.lon, note=data.note,
        onset_date=case.onset_date, confirmed_date=case.confirmed_date,
        recovered_date=case.recovered_date, source_case_id=case.source_case_id,
        cluster=data.cluster, exposure_date=case.exposure_date,
    )


def get_case(uow: UnitOfWork, rt: OutbreakRuntime, principal: Principal, case_id: int, *,
             purpose: str = "") -> CaseView:
    session = uow.session
    case = _readable(session, principal, case_id)
    view = _view(session, rt, case, {})
    audit.record(session, principal, kind=AuditKind.READ, action=READ,
                 record_type="outbreak_case", record_id=case.id, scope=case.scope,
                 purpose=purpose)
    uow.commit()
    return view


def cases_under(session: Session, principal: Principal, place: Place | None) -> list[OutbreakCase]:
    """The cases the principal may read, under ``place`` when given (no decryption)."""
    stmt = select(OutbreakCase).where(scope_clause(principal, READ, OutbreakCase.scope))
    if place is not None:
        stmt = stmt.where(OutbreakCase.scope.startswith(place.path, autoescape=True))
    return list(session.scalars(stmt.order_by(OutbreakCase.id).limit(5000)))


def case_counts_by_building(session: Session, principal: Principal) -> dict[tuple[int, str], int]:
    """Open (not recovered) cases per (grid id, building) that the principal may read: the
    counts the building-control board shows beside each status."""
    stmt = (select(OutbreakCase.place_id, OutbreakCase.building, func.count())
            .where(scope_clause(principal, READ, OutbreakCase.scope),
                   OutbreakCase.status != CaseStatus.RECOVERED.value,
                   OutbreakCase.building != "")
            .group_by(OutbreakCase.place_id, OutbreakCase.building))
    return {(int(g), str(b)): int(n) for g, b, n in session.execute(stmt)}


def list_cases(uow: UnitOfWork, rt: OutbreakRuntime, principal: Principal, *,
               place_code: str = "", purpose: str = "") -> list[CaseView]:
    """Every readable case with its personal fields opened: one audit row names them all."""
    session = uow.session
    place = get_place(session, place_code) if place_code else None
    if place is not None:
        require(principal, READ, Target(scope=place.path))
    rows = cases_under(session, principal, place)
    names = resident_names(session, {r.resident_id for r in rows if r.resident_id})
    views = [_view(session, rt, r, names) for r in rows]
    audit.record(session, principal, kind=AuditKind.READ, action="community.outbreak.case.list",
                 record_type="outbreak_case", record_id=f"{len(rows)} rows",
                 scope=place.path if place else "", purpose=purpose,
                 detail={"ids": [r.id for r in rows][:1000]})
    uow.commit()
    return views


def chain_nodes(uow: UnitOfWork, principal: Principal, *, place_code: str) -> list[Node]:
    """The cases under a place that take part in a chain: with a source, a cluster, or
    named as someone's source. Not personal fields, so no decryption and no read audit."""
    session = uow.session
    place = get_place(session, place_code)
    require(principal, "community.outbreak.chain.read", Target(scope=place.path))
    rows = cases_under(session, principal, place)
    sources = {r.source_case_id for r in rows if r.source_case_id}
    clusters = {cid: name for cid, name in session.execute(select(Cluster.id, Cluster.name).where(
        Cluster.id.in_({r.cluster_id for r in rows if r.cluster_id})))}
    return [Node(id=r.id, status=r.status, day=case_day(r),
                 cluster=clusters.get(r.cluster_id or 0, ""),
                 source_id=r.source_case_id, exposure_date=r.exposure_date)
            for r in rows if r.source_case_id or r.cluster_id or r.id in sources]


def case_day(case: OutbreakCase) -> date:
    """The day a case counts on: confirmation, else onset, else recording."""
    return case.confirmed_date or case.onset_date or case.created_at.date()
