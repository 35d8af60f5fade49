"""Flows (core/storage/flows.py) give the same results on a session and on asyncpg, see a
unique violation as DuplicateRow on both, and leave nothing behind when they do not commit."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest
from sqlalchemy import JSON, Column, Engine, Integer, MetaData, String, Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rescity.core.storage.aio import PgFlows
from rescity.core.storage.db import UTCDateTime, make_engine
from rescity.core.storage.flows import (
    COMMIT,
    ROLLBACK,
    All,
    DuplicateRow,
    Flow,
    One,
    Scalar,
    insert_all,
    run_flow,
)

META = MetaData()
PROBE = Table(
    "flow_probe", META,
    Column("id", Integer, primary_key=True),
    Column("key", String(20), unique=True),
    Column("doc", JSON),
    Column("at", UTCDateTime(), nullable=False),
)
INSERT = insert_all(PROBE, returning_id=True)
BY_KEY = select(PROBE.c.id, PROBE.c.doc, PROBE.c.at).where(PROBE.c.key == bindparam("key"))
FIRST_KEYS = select(PROBE.c.key).order_by(PROBE.c.key).limit(2)  # a parameter of its own
DOC = {"name": "社区卫生服务中心", "tags": ["a", 1, 2.5, None, True], "nested": {"x": []}}
# 12:00 at UTC+8: stored and read back as 04:00 UTC on both backends.
AT = datetime(2026, 11, 22, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture
def probe(engine: Engine) -> Iterator[Engine]:
    META.create_all(engine)
    yield engine
    META.drop_all(engine)


def write_then_read(key: str) -> Flow[tuple[int, Any, Any, list[Any]]]:
    new_id = yield Scalar(INSERT, {"key": key, "doc": DOC, "at": AT})
    yield COMMIT
    row = yield One(BY_KEY, {"key": key})
    keys = yield All(FIRST_KEYS)
    return new_id, row[1], row[2], keys


def twice(key: str) -> Flow[str]:
    try:
        yield Scalar(INSERT, {"key": key, "doc": {}, "at": AT})
        yield Scalar(INSERT, {"key": key, "doc": {}, "at": AT})
        yield COMMIT
    except DuplicateRow:
        yield ROLLBACK
        return "duplicate"
    return "stored"


def missing_time(key: str) -> Flow[str]:
    try:
        yield Scalar(INSERT, {"key": key, "doc": {}, "at": None})
    except DuplicateRow:  # pragma: no cover - must not happen: NOT NULL is no duplicate
        return "duplicate"
    return "stored"


def insert_then_fail(key: str) -> Flow[None]:
    yield Scalar(INSERT, {"key": key, "doc": {}, "at": AT})
    raise RuntimeError("the service gave up")


def _keys(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return list(s.scalars(select(PROBE.c.key).order_by(PROBE.c.key)))


def _sync(engine: Engine, flow: Flow[Any]) -> Any:
    with Session(engine) as s:
        return run_flow(s, flow)


def _async(engine: Engine, *flows: Flow[Any]) -> list[Any]:
    async def main() -> list[Any]:
        runner = PgFlows(engine)
        try:
            out = []
            for flow in flows:
                try:
                    out.append(await runner.run(flow))
                except Exception as exc:  # the test looks at which
                    out.append(exc)
            return out
        finally:
            await runner.dispose()

    return asyncio.run(main())


def test_a_flow_writes_and_reads_values_as_the_orm_types_say(probe: Engine) -> None:
    new_id, doc, at, keys = _sync(probe, write_then_read("k1"))
    assert doc == DOC and at == AT and at.tzinfo is not None and at.utcoffset() == timedelta(0)
    assert keys == [("k1",)] and isinstance(new_id, int)


def test_a_duplicate_row_reaches_the_flow_and_nothing_is_kept(probe: Engine) -> None:
    assert _sync(probe, twice("k2")) == "duplicate"
    with pytest.raises(RuntimeError):
        _sync(probe, insert_then_fail("k3"))
    with pytest.raises(IntegrityError):  # other violations are not taken for duplicates
        _sync(probe, missing_time("k4"))
    assert _keys(probe) == []


@pytest.fixture
def pg_probe(pg_server_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_server_url)
    META.drop_all(engine)
    META.create_all(engine)
    yield engine
    META.drop_all(engine)
    engine.dispose()


@pytest.mark.postgres
def test_asyncpg_runs_the_same_flows_with_the_same_results(pg_probe: Engine) -> None:
    probe = pg_probe
    assert PgFlows.for_engine(probe) is not None
    assert PgFlows.for_engine(probe, enabled=False) is None
    written, duplicate, failed, not_null = _async(
        probe, write_then_read("k1"), twice("k2"), insert_then_fail("k3"), missing_time("k5"))
    assert isinstance(not_null, asyncpg.NotNullViolationError)
    new_id, doc, at, keys = written
    assert doc == DOC and at == AT and at.utcoffset() == timedelta(0) and keys == [("k1",)]
    assert duplicate == "duplicate" and isinstance(failed, RuntimeError)
    assert _keys(probe) == ["k1"]  # the duplicate pair and the failed flow left nothing
    # A row written on asyncpg reads back through a session exactly as one written there.
    with Session(probe) as s:
        row = s.execute(select(PROBE.c.doc, PROBE.c.at).where(PROBE.c.id == new_id)).one()
    assert row.doc == DOC and row.at == AT.astimezone(UTC)
    _sync(probe, write_then_read("k0"))
    assert _async(probe, write_then_read("k4"))[0][3] == [("k0",), ("k1",)]


def test_sqlite_gets_no_asyncpg_runner(sqlite_engine: Engine) -> None:
    assert PgFlows.for_engine(sqlite_engine) is None
