"""Taking stock from lots and putting it in, safe under concurrent rounds and transfers.

Stock is taken first-expiring-first-out with ``UPDATE lot SET qty = qty - n WHERE id = :id
AND qty >= n``: the database decides, under its row lock (PostgreSQL re-checks the condition
after waiting for a concurrent writer; SQLite has one writer at a time), so two rounds can
never both take the last units; a lot's CHECK (``qty >= 0``) backs this up. A read of the
lots may be stale; a refused update makes the loop read again, and when the store holds too
little the caller's transaction is rolled back whole (409).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Table, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from rescity.community.supplies.adapters import Item, Lot, Movement, Store
from rescity.core.errors import Conflict

_LOT: Table = Lot.__table__  # type: ignore[assignment]
_PASSES = 8  # reads of the lots before giving up on a store whose stock keeps moving


class OutOfStock(Conflict):
    """The store holds less of an item than asked for."""

    def __init__(self, store: Store, item: Item, wanted: int, held: int) -> None:
        super().__init__(f"store {store.code} holds {held} {item.unit} of {item.code}, "
                         f"{wanted} needed")
        self.store_code, self.item_code, self.wanted, self.held = (
            store.code, item.code, wanted, held)


def on_hand(session: Session, store_id: int, item_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(Lot.qty), 0)).where(
        Lot.store_id == store_id, Lot.item_id == item_id)) or 0)


def take(session: Session, store: Store, item: Item, qty: int, *, kind: str, ref: str,
         by: int | None, now: datetime) -> list[tuple[Lot, int]]:
    """Take ``qty`` of ``item`` from ``store``'s lots, soonest expiry first; the lots and
    amounts taken. Raises :class:`OutOfStock` (the caller's transaction must roll back)."""
    remaining = qty
    taken: list[tuple[Lot, int]] = []
    session.flush()
    for _ in range(_PASSES):
        lots = session.execute(
            select(_LOT.c.id, _LOT.c.qty).where(
                _LOT.c.store_id == store.id, _LOT.c.item_id == item.id, _LOT.c.qty > 0)
            .order_by(_LOT.c.expires_on.is_(None), _LOT.c.expires_on, _LOT.c.id)
        ).all()
        if sum(q for _, q in lots) < remaining:
            break
        for lot_id, held in lots:
            n = min(remaining, held)
            result = session.execute(
                update(_LOT).where(_LOT.c.id == lot_id, _LOT.c.qty >= n)
                .values(qty=_LOT.c.qty - n))
            assert isinstance(result, CursorResult)
            if result.rowcount != 1:
                continue  # taken meanwhile: read the lots again
            lot = session.get(Lot, lot_id)
            assert lot is not None
            session.refresh(lot, ["qty"])
            taken.append((lot, n))
            session.add(Movement(store_id=store.id, item_id=item.id, lot_id=lot_id,
                                 scope=store.scope, kind=kind, qty=n, ref=ref, by=by, at=now))
            remaining -= n
            if remaining == 0:
                return taken
    raise OutOfStock(store, item, qty, qty - remaining + on_hand(session, store.id, item.id))


def put(session: Session, store: Store, item: Item, qty: int, *, kind: str, ref: str,
        by: int | None, now: datetime, lot_code: str = "",
        expires_on: date | None = None) -> Lot:
    """A new lot of ``qty`` in ``store`` (a receipt, or the arriving half of a transfer)."""
    lot = Lot(store_id=store.id, item_id=item.id, scope=store.scope, lot_code=lot_code,
              expires_on=expires_on, qty=qty, received_qty=qty, received_at=now)
    session.add(lot)
    session.flush()
    session.add(Movement(store_id=store.id, item_id=item.id, lot_id=lot.id, scope=store.scope,
                         kind=kind, qty=qty, ref=ref, by=by, at=now))
    return lot
