"""Items, stores, receipts, transfers, stock levels and household requests.

Office staff (grid workers, ``community.supplies.*``) run stores in their places; a resident
asks for their own household (``community.supplies.request`` on their own record). Every
write is audited in its transaction; stock changes go through ``stock.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from rescity.community.control.notify import notify_grid_worker
from rescity.community.supplies._community import Household, Resident
from rescity.community.supplies.adapters import Item, Lot, Store, SupplyRequest
from rescity.community.supplies.stock import on_hand, put, take
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, PermissionDenied, Problem
from rescity.core.i18n import catalog
from rescity.core.places import get_place
from rescity.core.security.policy import Principal, Target, require, visible_scopes
from rescity.core.storage.uow import UnitOfWork

MANAGE = "community.supplies.manage"
READ = "community.supplies.read"
MAX_QTY = 1_000_000


def visible(column: InstrumentedAttribute[str], principal: Principal,
            action: str) -> ColumnElement[bool]:
    scopes = visible_scopes(principal, action)
    if not scopes:
        return false()
    return or_(*(column.startswith(s, autoescape=True) for s in scopes))


def check_qty(qty: int, field: str = "qty") -> list[Problem]:
    if isinstance(qty, bool) or not isinstance(qty, int) or not 0 < qty <= MAX_QTY:
        return [Problem(field, f"a whole number from 1 to {MAX_QTY}")]
    return []


def item_by_code(session: Session, code: str) -> Item:
    if "\x00" in code:  # no code holds one (and PostgreSQL text cannot)
        raise NotFound("no such item")
    item = session.scalar(select(Item).where(Item.code == code))
    if item is None:
        raise NotFound(f"no item '{code}'")
    return item


def store_by_code(session: Session, code: str) -> Store:
    if "\x00" in code:
        raise NotFound("no such store")
    store = session.scalar(select(Store).where(Store.code == code))
    if store is None:
        raise NotFound(f"no store '{code}'")
    return store


def create_item(uow: UnitOfWork, principal: Principal, *, code: str, name_zh: str,
                name_en: str = "", unit: str, low_stock: int = 0) -> Item:
    """An item of the catalogue (shared by all stores); staff who run any store add them."""
    session = uow.session
    if not visible_scopes(principal, MANAGE):
        raise PermissionDenied("not allowed: community.supplies.manage")
    problems = []
    if not code.strip() or len(code) > 64:
        problems.append(Problem("code", "1–64 characters"))
    if not name_zh.strip():
        problems.append(Problem("name_zh", "must not be empty"))
    if not unit.strip() or len(unit) > 20:
        problems.append(Problem("unit", "1–20 characters"))
    if low_stock < 0:
        problems.append(Problem("low_stock", "must not be negative"))
    if problems:
        raise InputError(problems, source="item")
    if session.scalar(select(Item.id).where(Item.code == code.strip())) is not None:
        raise Conflict(f"item code '{code}' is already used")
    item = Item(code=code.strip(), name_zh=name_zh.strip(), name_en=name_en.strip(),
                unit=unit.strip(), low_stock=low_stock)
    session.add(item)
    session.flush()
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.supplies.item",
                 record_type="supply_item", record_id=item.id)
    uow.commit()
    return item


def create_store(uow: UnitOfWork, principal: Principal, now: datetime, *, place: str,
                 code: str, name: str) -> Store:
    session = uow.session
    where = get_place(session, place)
    require(principal, MANAGE, Target(scope=where.path))
    if not code.strip() or len(code) > 64:
        raise InputError([Problem("code", "1–64 characters")], source="store")
    if session.scalar(select(Store.id).where(Store.code == code.strip())) is not None:
        raise Conflict(f"store code '{code}' is already used")
    store = Store(place_id=where.id, scope=where.path, code=code.strip(),
                  name=name.strip() or code.strip(), created_at=now)
    session.add(store)
    session.flush()
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.supplies.store",
                 record_type="supply_store", record_id=store.id, scope=store.scope)
    uow.commit()
    return store


def receive(uow: UnitOfWork, principal: Principal, now: datetime, *, store: str, item: str,
            qty: int, lot_code: str = "", expires_on: date | None = None,
            source: str = "") -> Lot:
    """A receipt: a new lot in the store."""
    session = uow.session
    problems = check_qty(qty)
    if len(lot_code) > 64:
        problems.append(Problem("lot_code", "at most 64 characters"))
    if problems:
        raise InputError(problems, source="receipt")
    s, i = store_by_code(session, store), item_by_code(session, item)
    require(principal, MANAGE, Target(scope=s.scope))
    lot = put(session, s, i, qty, kind="receipt", ref=source[:100], by=principal.user_id,
              now=now, lot_code=lot_code, expires_on=expires_on)
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.supplies.receive",
                 record_type="supply_lot", record_id=lot.id, scope=s.scope,
                 detail={"item": i.code, "qty": qty})
    uow.commit()
    return lot


def transfer(uow: UnitOfWork, principal: Principal, now: datetime, *, from_store: str,
             to_store: str, item: str, qty: int) -> list[Lot]:
    """Move stock between stores; lots keep their code and expiry. The new lots."""
    session = uow.session
    problems = check_qty(qty)
    if from_store == to_store:
        problems.append(Problem("to_store", "must differ from from_store"))
    if problems:
        raise InputError(problems, source="transfer")
    src, dst, i = store_by_code(session, from_store), store_by_code(session, to_store), (
        item_by_code(session, item))
    require(principal, MANAGE, Target(scope=src.scope))
    require(principal, MANAGE, Target(scope=dst.scope))
    ref = f"transfer {src.code}→{dst.code}"
    arrived = [put(session, dst, i, n, kind="transfer_in", ref=ref, by=principal.user_id,
                   now=now, lot_code=lot.lot_code, expires_on=lot.expires_on)
               for lot, n in take(session, src, i, qty, kind="transfer_out", ref=ref,
                                  by=principal.user_id, now=now)]
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.supplies.transfer",
                 record_type="supply_store", record_id=src.id, scope=src.scope,
                 detail={"to": dst.code, "item": i.code, "qty": qty})
    check_low_stock(session, src, [i], now)
    uow.commit()
    return arrived


def check_low_stock(session: Session, store: Store, items: list[Item], now: datetime) -> None:
    """Notify the grid worker of each item below its threshold in ``store`` (once a day)."""
    for item in items:
        held = on_hand(session, store.id, item.id)
        if item.low_stock and held < item.low_stock:
            notify_grid_worker(
                session, kind="low_stock", scope=store.scope, now=now, source="supplies",
                source_ref=store.code, dedup_key=f"low_stock:s{store.id}:i{item.id}:{now.date()}",
                detail={"store": store.code, "item": item.code, "on_hand": held,
                        "threshold": item.low_stock, "unit": item.unit,
                        "summary": {lang: catalog(lang)["sup.alert.low"].format(
                            item=item.name(lang), store=store.name, n=held, unit=item.unit)
                            for lang in ("zh", "en")}})


@dataclass(frozen=True)
class StockLine:
    store: Store
    item: Item
    qty: int
    lots: list[Lot]
    low: bool


def stock(session: Session, principal: Principal, store_code: str | None = None,
          ) -> list[StockLine]:
    """Stock per store and item, with the lots that hold it, soonest expiry first."""
    stmt = select(Store).where(visible(Store.scope, principal, READ)).order_by(Store.code)
    if store_code is not None:
        store = store_by_code(session, store_code)
        require(principal, READ, Target(scope=store.scope))
        stmt = stmt.where(Store.id == store.id)
    stores = list(session.scalars(stmt))
    items = {i.id: i for i in session.scalars(select(Item))}
    lots = list(session.scalars(select(Lot).where(
        Lot.store_id.in_([s.id for s in stores]), Lot.qty > 0).order_by(
        Lot.expires_on.is_(None), Lot.expires_on, Lot.id)))
    out = []
    for store in stores:
        for item_id in sorted({lot.item_id for lot in lots if lot.store_id == store.id}):
            held = [lot for lot in lots if lot.store_id == store.id and lot.item_id == item_id]
            total = sum(lot.qty for lot in held)
            item = items[item_id]
            out.append(StockLine(store, item, total, held, total < item.low_stock))
    return out


def request_supplies(uow: UnitOfWork, principal: Principal, now: datetime, *, item: str,
                     qty: int, household_id: int | None = None, note: str = "",
                     ) -> SupplyRequest:
    """A household's request: a resident asks for their own household, staff for any in
    their places."""
    session = uow.session
    problems = check_qty(qty)
    if len(note) > 300:
        problems.append(Problem("note", "at most 300 characters"))
    if problems:
        raise InputError(problems, source="request")
    i = item_by_code(session, item)
    mine = session.scalar(select(Resident).where(Resident.user_id == principal.user_id,
                                                 Resident.erased_at.is_(None)))
    if household_id is None:
        if mine is None:
            raise NotFound("you are not registered as a resident: name a household")
        household_id = mine.household_id
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(f"no household {household_id}")
    own = mine is not None and mine.household_id == household.id
    require(principal, "community.supplies.request",
            Target(scope=household.scope, owner_id=principal.user_id if own else None))
    row = SupplyRequest(household_id=household.id, scope=household.scope, item_id=i.id,
                        qty=qty, note=note, status="open", created_by=principal.user_id,
                        created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.supplies.request",
                 record_type="supply_request", record_id=row.id, scope=row.scope)
    uow.commit()
    return row


def list_requests(session: Session, principal: Principal, *, status: str | None = None,
                  ) -> list[SupplyRequest]:
    """Requests in the principal's places, and their own household's."""
    cond = visible(SupplyRequest.scope, principal, READ)
    mine = session.scalar(select(Resident.household_id).where(
        Resident.user_id == principal.user_id, Resident.erased_at.is_(None)))
    if mine is not None:
        cond = or_(cond, SupplyRequest.household_id == mine)
    stmt = select(SupplyRequest).where(cond).order_by(SupplyRequest.id.desc()).limit(500)
    if status:
        stmt = stmt.where(SupplyRequest.status == status)
    return list(session.scalars(stmt))


def totals_by_item(session: Session, store_id: int) -> dict[int, int]:
    rows = session.execute(select(Lot.item_id, func.sum(Lot.qty)).where(
        Lot.store_id == store_id).group_by(Lot.item_id))
    return {item_id: int(q or 0) for item_id, q in rows}
