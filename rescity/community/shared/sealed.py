"""Columns that hold values sealed with the data keys, and moving them to the newest key.

Each capability lists its sealed columns next to its tables (``SEALED`` in its
``adapters``); ``residents.reseal`` collects the lists, and a test checks that every
``*_sealed`` column of the ORM is in the collection, so a new sealed column cannot be
forgotten by key rotation (``rescity community reseal``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rescity.core.security.personal_data import FieldCipher

BATCH = 500  # rows read, resealed and committed at a time: short transactions, bounded memory


@dataclass(frozen=True)
class SealedColumn:
    """One column of sealed values: the ORM class, the column's name, the context
    (associated data) every value of it is sealed under, and the column of its keyed lookup
    digests if it has one (recomputed under the newest key with the value)."""

    model: Any
    column: str
    context: str
    digest: str = ""

    @property
    def label(self) -> str:
        return f"{self.model.__tablename__}.{self.column}"


@dataclass
class ResealCount:
    moved: int = 0
    unreadable: list[Any] = field(default_factory=list)  # primary keys of values no key opens


def reseal_column(session: Session, cipher: FieldCipher, sealed: SealedColumn, *,
                  commit: Callable[[], None], batch: int = BATCH) -> ResealCount:
    """Move every value of one column that is not yet under the newest key (and its lookup
    digest, if any), ``batch`` rows at a time (keyset order by primary key), committing after
    each batch.

    Idempotent: rows already under the newest key are not changed (without a digest column
    they are not even read). Each row is updated only if it still holds the values read, so a
    concurrent edit is never overwritten. A value no configured key opens is left as it is and
    its row's key is reported."""
    table = sealed.model.__table__
    [pk] = table.primary_key.columns
    col = table.c[sealed.column]
    digest = table.c[sealed.digest] if sealed.digest else None
    current = f"v1:{cipher.current_key_id}:"
    count = ResealCount()
    last: Any = None
    while True:
        stmt = select(pk, col, digest if digest is not None else col).where(
            col.is_not(None), col != "").order_by(pk).limit(batch)
        if digest is None:  # only values under an older key need anything
            stmt = stmt.where(~col.startswith(current, autoescape=True))
        if last is not None:
            stmt = stmt.where(pk > last)
        rows = session.execute(stmt).all()
        if not rows:
            return count
        for row_id, old, old_digest in rows:
            try:
                new = cipher.reseal(old, context=sealed.context)
                values = {sealed.column: new} if new != old else {}
                if digest is not None:
                    plain = cipher.open(new, context=sealed.context)
                    new_digest = cipher.lookup_digest(plain, context=sealed.context)
                    if new_digest != old_digest:
                        values[digest.name] = new_digest
            except (ValueError, IndexError):
                count.unreadable.append(row_id)
                continue
            if not values:
                continue
            where = [pk == row_id, col == old]
            if digest is not None:
                where.append(digest == old_digest if old_digest is not None
                             else digest.is_(None))
            result = session.execute(update(table).where(*where).values(values))
            count.moved += int(result.rowcount or 0)  # type: ignore[attr-defined]
        last = rows[-1][0]
        commit()
