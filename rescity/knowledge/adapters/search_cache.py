"""A per-process copy of the search index's narrow rows (id, city, year, status, tags…) as
numpy arrays, so that a search reads only (id, score) for each of its matches and filters,
orders, pages and counts facets on arrays rather than on thousands of driver tuples.

The copy is valid for one *version token* of the index: a random number in the one-row
table ``kb_search_version`` that a trigger on the narrow rows' table replaces in the same
transaction as every write to it (whatever writes it: the services, a reindex, a migration,
PostgreSQL's ``ON DELETE CASCADE``). Search reads the token in the same statement as its
matches (one snapshot, even under READ COMMITTED); a copy with another token is reloaded
(one statement, which reads the token with the rows). Tokens are random rather than
counted so that a rolled-back write, or another database at the same URL (tests recreate
theirs), never shows a token that an older copy has.

Copies are immutable and replaced as a whole, so threads share them without locks; one per
database (engine URL), a few at most.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import literal_column, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

VERSION_TABLE = "kb_search_version"
# PostgreSQL: a transaction-local setting, "on" from a write to the index until its commit
# replaces the token (search_index's deferred trigger); meanwhile the transaction's own
# searches read no token: they see its uncommitted rows, which no other copy may be used for.
PENDING = "rescity.kb_search_pending"
_TOKEN = f"(SELECT token FROM {VERSION_TABLE} WHERE id = 1)"  # noqa: S608
_PG_TOKEN = f"CASE WHEN current_setting('{PENDING}', true) = 'on' THEN NULL ELSE {_TOKEN} END"
_MAX_DATABASES = 8
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

Ints = NDArray[np.int64]


def token_column(dialect: str) -> ColumnElement[Any]:
    """The index's version token as a scalar subquery (a column of the match statement).
    By primary key: search disables PostgreSQL's sequential scans, and the penalty on one
    here would make the plan's cost high enough to be JIT-compiled (170 ms). NULL in a
    PostgreSQL transaction that has written the index (:data:`PENDING`)."""
    return literal_column(_token_sql(dialect)).label("token")


def _token_sql(dialect: str) -> str:
    return _PG_TOKEN if dialect == "postgresql" else _TOKEN


def _codes(values: Sequence[Any]) -> tuple[Ints, tuple[Any, ...]]:
    """(code of each value, distinct values in first-seen order)."""
    vocabulary: dict[Any, int] = {}
    codes = np.fromiter(
        (vocabulary.setdefault(v, len(vocabulary)) for v in values), np.int64, len(values)
    )
    return codes, tuple(vocabulary)


@dataclass(frozen=True)
class Snapshot:
    """The narrow rows at one version token, sorted by id; text columns as codes into their
    distinct values (``tag_text`` too: facet counts add up each distinct set of tags)."""

    token: int | None
    dialect: str
    ids: Ints
    city: Ints
    year: Ints  # 0 where the record has no year
    has_year: NDArray[np.bool_]
    status: Ints
    statuses: tuple[str, ...]
    country: Ints
    countries: tuple[str, ...]
    city_key: Ints
    city_keys: tuple[str, ...]
    tagset: Ints
    tagsets: tuple[str, ...]
    # every (distinct tag set, tag, position in the set) of tagsets' split()
    entry_set: Ints
    entry_tag: Ints
    entry_pos: Ints
    tags: tuple[str, ...]

    @classmethod
    def of(cls, token: int | None, dialect: str, rows: list[tuple[Any, ...]]) -> Snapshot:
        rows = sorted(rows, key=itemgetter(0))
        n = len(rows)
        col = [list(map(itemgetter(i), rows)) for i in range(7)]
        years = col[4]
        status, statuses = _codes(col[5])
        country, countries = _codes(col[3])
        city_key, city_keys = _codes(col[2])
        tagset, tagsets = _codes(col[6])
        tag_ids: dict[str, int] = {}
        entries = [
            (s, tag_ids.setdefault(code, len(tag_ids)), p)
            for s, text_ in enumerate(tagsets)
            for p, code in enumerate(text_.split())
        ]
        e = np.array(entries, dtype=np.int64).reshape(-1, 3)
        return cls(
            token=token,
            dialect=dialect,
            ids=np.fromiter(col[0], np.int64, n),
            city=np.fromiter(col[1], np.int64, n),
            year=np.fromiter((y or 0 for y in years), np.int64, n),
            has_year=np.fromiter((y is not None for y in years), np.bool_, n),
            status=status,
            statuses=statuses,
            country=country,
            countries=countries,
            city_key=city_key,
            city_keys=city_keys,
            tagset=tagset,
            tagsets=tagsets,
            entry_set=e[:, 0].copy(),
            entry_tag=e[:, 1].copy(),
            entry_pos=e[:, 2].copy(),
            tags=tuple(tag_ids),
        )

    def positions(self, ids: Ints) -> tuple[Ints, NDArray[np.bool_]]:
        """Each id's row position, and whether the id has a row at all."""
        if not len(self.ids):
            return np.zeros(len(ids), np.int64), np.zeros(len(ids), np.bool_)
        pos = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return pos, self.ids[pos] == ids

    def equal(self, codes: Ints, vocabulary: tuple[str, ...], value: str) -> NDArray[np.bool_]:
        """Rows whose column equals ``value`` (SQL ``=``: exact on both backends)."""
        if value not in vocabulary:
            return np.zeros(len(codes), np.bool_)
        same: NDArray[np.bool_] = codes == vocabulary.index(value)
        return same

    def within(self, codes: Ints, vocabulary: tuple[str, ...], values: tuple[str, ...]) -> Any:
        wanted = np.array([v in values for v in vocabulary] + [False], np.bool_)
        return wanted[codes]

    def has_tag(self, code: str) -> NDArray[np.bool_]:
        """Rows whose tags contain ``code`` as the index's SQL filter does:
        ``' ' || tag_text || ' ' LIKE '% code %'`` (on SQLite, LIKE ignores ASCII case)."""
        needle = f" {code} "
        if self.dialect == "sqlite":
            needle = needle.translate(_ASCII_LOWER)
            hits = [needle in f" {t} ".translate(_ASCII_LOWER) for t in self.tagsets]
        else:
            hits = [needle in f" {t} " for t in self.tagsets]
        return np.array([*hits, False], np.bool_)[self.tagset]


def first_counts(codes: Ints, size: int) -> tuple[Ints, Ints]:
    """(codes present, their counts), the codes in order of first appearance in ``codes``
    (as a ``Counter`` over the ranked matches would list them)."""
    counts = np.bincount(codes, minlength=size)
    first = np.full(size, len(codes), np.int64)
    np.minimum.at(first, codes, np.arange(len(codes), dtype=np.int64))
    present = np.flatnonzero(counts)
    present = present[np.argsort(first[present], kind="stable")]
    return present, counts[present]


class SnapshotCache:
    """The latest snapshot of each database this process searches (by engine URL)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshots: dict[str, Snapshot] = {}

    def get(self, key: str) -> Snapshot | None:
        return self._snapshots.get(key)

    def load(self, session: Session, key: str, meta_name: str) -> Snapshot:
        """Read the token and every narrow row in one statement. Without a token (its row
        removed by hand, or this transaction's index writes not yet committed) the copy is
        used once, never kept."""
        dialect = session.get_bind().dialect.name
        token = _token_sql(dialect)
        rows = session.execute(
            text(
                f"SELECT v.token, m.id, m.city_id, m.city_key, m.country, m.year, m.status,"  # noqa: S608
                f" m.tag_text FROM (SELECT {token} AS token) v"
                f" LEFT JOIN {meta_name} m ON 1 = 1"
            )
        ).all()
        token = rows[0][0]
        data = [tuple(r[1:]) for r in rows if r[1] is not None]
        snapshot = Snapshot.of(token, dialect, data)
        if token is None:
            return snapshot
        with self._lock:
            self._snapshots.pop(key, None)
            self._snapshots[key] = snapshot
            while len(self._snapshots) > _MAX_DATABASES:
                self._snapshots.pop(next(iter(self._snapshots)))
        return snapshot


CACHE = SnapshotCache()
