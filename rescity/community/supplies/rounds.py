"""Distribution rounds: plan and take stock for a building's households at once, deliver
(to the door when the building's control status says so), confirm each delivery, report.

Creating a round is one transaction: the round, a delivery per household with its lines, the
stock taken and the requests it fulfils; if the store is short of anything, nothing is kept
(409). Confirmation comes from the household itself (a member signed in) or from staff who
record it (a sealed household's photo or call), and says which.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from rescity.community.control.domain import Delivery as Method
from rescity.community.control.domain import StatusKind
from rescity.community.control.services import building_status
from rescity.community.supplies._community import Dwelling, Household, Resident
from rescity.community.supplies.adapters import (
    Delivery,
    DeliveryLine,
    Item,
    Lot,
    Round,
    Store,
    SupplyRequest,
)
from rescity.community.supplies.services import (
    MANAGE,
    READ,
    check_low_stock,
    check_qty,
    item_by_code,
    store_by_code,
)
from rescity.community.supplies.stock import take
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, Problem
from rescity.core.places import Place, PlaceLevel, get_place
from rescity.core.security.policy import Principal, Target, is_allowed, require
from rescity.core.storage.uow import UnitOfWork


@dataclass(frozen=True)
class NewRound:
    store: str
    grid: str
    building: str = ""  # empty: every building of the grid
    package: tuple[tuple[str, int], ...] = ()  # (item code, qty) for every household
    include_requests: bool = True


def create_round(uow: UnitOfWork, principal: Principal, now: datetime,
                 data: NewRound) -> Round:
    session = uow.session
    store = store_by_code(session, data.store)
    grid = get_place(session, data.grid)
    require(principal, MANAGE, Target(scope=grid.path))
    require(principal, MANAGE, Target(scope=store.scope))
    problems: list[Problem] = []
    if grid.level != PlaceLevel.GRID:
        problems.append(Problem("grid", f"'{grid.code}' is not a grid"))
    package: Counter[int] = Counter()
    items: dict[int, Item] = {}
    for n, (code, qty) in enumerate(data.package):
        problems += check_qty(qty, f"package[{n}].qty")
        item = item_by_code(session, code)
        items[item.id] = item
        package[item.id] += qty if not check_qty(qty) else 0
    households = _households(session, grid, data.building.strip())
    if not households:
        problems.append(Problem("building", "no household lives there"))
    if not package and not data.include_requests:
        problems.append(Problem("package", "give a package or include the requests"))
    if problems:
        raise InputError(problems, source="round")
    requests: dict[int, list[SupplyRequest]] = defaultdict(list)
    if data.include_requests:
        for req in session.scalars(select(SupplyRequest).where(
                SupplyRequest.household_id.in_([h for h, _ in households]),
                SupplyRequest.status == "open").order_by(SupplyRequest.id)):
            requests[req.household_id].append(req)
    statuses: dict[str, StatusKind | None] = {
        b: building_status(session, grid.id, grid.path, b, now) for b in {b for _, b in households}}
    methods = {b: (s.delivery if s else Method.PICKUP).value for b, s in statuses.items()}
    strictest = min((s for s in statuses.values() if s), key=lambda s: s.rank, default=None)
    rnd = Round(store_id=store.id, place_id=grid.id, scope=grid.path,
                building=data.building.strip(), control_status=strictest.key if strictest else "",
                method=next(iter(set(methods.values()))) if len(set(methods.values())) == 1
                else "mixed", package=[{"item": items[i].code, "qty": q}
                                       for i, q in package.items()],
                status="out", created_by=principal.user_id, created_at=now)
    session.add(rnd)
    session.flush()  # the first write: on SQLite the round now holds the write lock
    ref = f"round {rnd.id}"
    for household_id, building in households:
        wanted = Counter(package)
        for req in requests[household_id]:
            wanted[req.item_id] += req.qty
        if not wanted:
            continue
        delivery = Delivery(round_id=rnd.id, household_id=household_id, scope=grid.path,
                            method=methods[building], status="pending")
        session.add(delivery)
        session.flush()
        for item_id, qty in sorted(wanted.items()):
            if item_id not in items:  # asked for in a request, not in the package
                found = session.get(Item, item_id)
                assert found is not None
                items[item_id] = found
            item = items[item_id]
            for lot, n in take(session, store, item, qty, kind="issue", ref=ref,
                               by=principal.user_id, now=now):
                session.add(DeliveryLine(delivery_id=delivery.id, item_id=item_id,
                                         lot_id=lot.id, qty=n))
        for req in requests[household_id]:
            req.status, req.delivery_id = "planned", delivery.id
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.supplies.round",
                 record_type="supply_round", record_id=rnd.id, scope=rnd.scope,
                 detail={"store": store.code, "building": rnd.building, "method": rnd.method})
    check_low_stock(session, store, list(items.values()), now)
    uow.commit()
    return rnd


def _households(session: Session, grid: Place, building: str) -> list[tuple[int, str]]:
    """(household id, building) of the households with someone living there."""
    lives = exists().where(Resident.household_id == Household.id, Resident.left_at.is_(None),
                           Resident.erased_at.is_(None))
    stmt = (select(Household.id, Dwelling.building)
            .join(Dwelling, Dwelling.id == Household.dwelling_id)
            .where(Dwelling.grid_id == grid.id, lives).order_by(Household.id))
    if building:
        stmt = stmt.where(Dwelling.building == building)
    return [(h, b) for h, b in session.execute(stmt)]


def _delivery(session: Session, delivery_id: int) -> Delivery:
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise NotFound(f"no delivery {delivery_id}")
    return row


def mark_delivered(uow: UnitOfWork, principal: Principal, now: datetime, delivery_id: int,
                   *, note: str = "") -> Delivery:
    """Staff (or the volunteer they sent) handed the supplies over, at the door or store."""
    session = uow.session
    row = _delivery(session, delivery_id)
    require(principal, MANAGE, Target(scope=row.scope))
    if row.status != "pending":
        raise Conflict(f"delivery {row.id} is already {row.status}")
    row.status, row.delivered_by, row.delivered_at = "delivered", principal.user_id, now
    row.note = note[:300]
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.supplies.deliver",
                 record_type="supply_delivery", record_id=row.id, scope=row.scope)
    uow.commit()
    return row


def confirm(uow: UnitOfWork, principal: Principal, now: datetime, delivery_id: int, *,
            note: str = "") -> Delivery:
    """The household confirms receipt (a member signed in), or staff record its
    confirmation; a delivery is confirmed once, after it was delivered."""
    session = uow.session
    row = _delivery(session, delivery_id)
    mine = session.scalar(select(Resident.household_id).where(
        Resident.user_id == principal.user_id, Resident.erased_at.is_(None)))
    own = mine == row.household_id
    staff = is_allowed(principal, MANAGE, Target(scope=row.scope))
    if not staff:
        require(principal, "community.supplies.confirm",
                Target(scope=row.scope, owner_id=principal.user_id if own else None))
    if row.status != "delivered":
        raise Conflict(f"delivery {row.id} is {row.status}: it must be delivered first")
    row.status, row.confirmed_by, row.confirmed_at = "confirmed", principal.user_id, now
    row.confirmed_via = "household" if own else "staff"
    if note:
        row.note = note[:300]
    for req in session.scalars(select(SupplyRequest).where(SupplyRequest.delivery_id == row.id)):
        req.status = "delivered"
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.supplies.confirm",
                 record_type="supply_delivery", record_id=row.id, scope=row.scope,
                 detail={"via": row.confirmed_via})
    rnd = session.get(Round, row.round_id)
    assert rnd is not None
    session.flush()
    if not session.scalar(select(Delivery.id).where(Delivery.round_id == rnd.id,
                                                    Delivery.status != "confirmed").limit(1)):
        rnd.status, rnd.done_at = "done", now
    uow.commit()
    return row


@dataclass(frozen=True)
class ReportLine:
    delivery: Delivery
    address: str  # building-unit-room, no names
    items: list[tuple[Item, str, int]]  # item, lot code, qty


@dataclass(frozen=True)
class RoundReport:
    round: Round
    store: Store
    place: Place
    lines: list[ReportLine]
    totals: list[tuple[Item, int]]
    by_status: dict[str, int]


def report(session: Session, principal: Principal, round_id: int) -> RoundReport:
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound(f"no round {round_id}")
    require(principal, READ, Target(scope=rnd.scope))
    store, place = session.get(Store, rnd.store_id), session.get(Place, rnd.place_id)
    assert store is not None and place is not None
    deliveries = list(session.scalars(select(Delivery).where(Delivery.round_id == rnd.id)
                                      .order_by(Delivery.id)))
    addresses = dict(session.execute(
        select(Household.id, Dwelling).join(Dwelling, Dwelling.id == Household.dwelling_id)
        .where(Household.id.in_([d.household_id for d in deliveries]))).all())
    rows = session.execute(
        select(DeliveryLine, Item, Lot).join(Item, Item.id == DeliveryLine.item_id)
        .join(Lot, Lot.id == DeliveryLine.lot_id)
        .where(DeliveryLine.delivery_id.in_([d.id for d in deliveries]))
        .order_by(DeliveryLine.id)).all()
    per: dict[int, list[tuple[Item, str, int]]] = defaultdict(list)
    totals: dict[int, tuple[Item, int]] = {}
    for line, item, lot in rows:
        per[line.delivery_id].append((item, lot.lot_code, line.qty))
        totals[item.id] = (item, totals.get(item.id, (item, 0))[1] + line.qty)
    lines = [ReportLine(d, addresses[d.household_id].label if d.household_id in addresses
                        else "", per[d.id]) for d in deliveries]
    return RoundReport(rnd, store, place, lines, list(totals.values()),
                       dict(Counter(d.status for d in deliveries)))


def report_csv(rep: RoundReport, lang: str) -> str:
    """The round's report as CSV (one row per delivery; items as "name qty unit; …")."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["round", "delivery", "address", "method", "status", "items",
                     "delivered_at", "confirmed_at", "confirmed_via"])
    for line in rep.lines:
        d = line.delivery
        writer.writerow([
            rep.round.id, d.id, _cell(line.address), d.method, d.status,
            _cell("; ".join(f"{i.name(lang)} {q} {i.unit}" for i, _lot, q in line.items)),
            d.delivered_at.isoformat() if d.delivered_at else "",
            d.confirmed_at.isoformat() if d.confirmed_at else "", d.confirmed_via])
    return out.getvalue()


def _cell(text: str) -> str:
    """No spreadsheet formulas from data (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
