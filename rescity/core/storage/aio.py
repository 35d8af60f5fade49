"""Flows (:mod:`rescity.core.storage.flows`) on the event loop, on PostgreSQL with asyncpg.

Gate devices and phones post check-ins and scans at hundreds per second. Run through a
thread pool with SQLAlchemy, each one paid for two thread hand-offs, for the database thread
and the event loop contending for the GIL, and for SQLAlchemy's per-statement machinery; on
two cores that was most of the server's CPU per request (docs/community/benchmark.md). Here a
flow's statements are compiled once (by SQLAlchemy, for asyncpg) and then executed straight
on an asyncpg connection, awaited on the loop that serves the request. psycopg's own async API
was measured at twice the CPU of its sync API per statement, asyncpg at about the sync API's
cost, hence asyncpg for these routes and psycopg everywhere else.

Bind and result values go through the same SQLAlchemy type processors as with the session
(UTC datetimes, JSON), so a row written here reads back identically through the ORM.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import JSON, Engine, Executable
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from rescity.core.storage.db import POOL
from rescity.core.storage.flows import (
    COMMIT,
    ROLLBACK,
    All,
    DuplicateRow,
    Flow,
    One,
    Op,
    Scalar,
    Stepper,
)

T = TypeVar("T")

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    binds: tuple[Any, ...]  # a processor per parameter, or None
    defaults: dict[str, Any]  # values of the statement's own parameters (LIMIT 1, literals)
    results: tuple[Any, ...]  # a processor per result column, or None


def _json_loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _compile(stmt: Executable) -> _Compiled:
    compiled = stmt.compile(dialect=_DIALECT)  # type: ignore[attr-defined]
    names = tuple(compiled.positiontup or ())
    procs = compiled._bind_processors
    results = []
    for column in compiled._result_columns:
        type_ = column[3]
        proc = type_._cached_result_processor(_DIALECT, None)
        if proc is None and isinstance(type_, JSON):
            proc = _json_loads  # asyncpg hands json over as text
        results.append(proc)
    return _Compiled(compiled.string, names, tuple(procs.get(n) for n in names),
                     {n: b.value for n, b in compiled.binds.items()}, tuple(results))


class _FlowConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection released without asyncpg's reset query (advisory unlocks, CLOSE
    ALL, UNLISTEN, RESET ALL: one more round trip per request). Flows end their own
    transaction and use no session state, cursors, locks or notifications."""

    def get_reset_query(self) -> str:
        return ""


class PgFlows:
    """Runs flows on the PostgreSQL database of ``engine``, one asyncpg pool per event loop.

    asyncpg connections belong to the loop that opened them; a server process has one loop,
    but a test client may run the app on a loop of its own, so each loop gets its own pool.
    """

    def __init__(self, engine: Engine) -> None:
        # The same URL as a libpq-style DSN (asyncpg reads host, port, sslmode, ... from it).
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncpg.Pool] = (
            weakref.WeakKeyDictionary()
        )
        # Statements are module constants, hashed by identity: one compilation each.
        self._compiled: dict[Executable, _Compiled] = {}

    @classmethod
    def for_engine(cls, engine: Engine, *, enabled: bool = True) -> PgFlows | None:
        """A runner for a PostgreSQL engine; None for SQLite or when turned off."""
        if not enabled or engine.dialect.name != "postgresql":
            return None
        return cls(engine)

    async def _pool(self) -> asyncpg.Pool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            # As many connections per event loop as the synchronous engine's pool keeps.
            pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=POOL["pool_size"],
                                             connection_class=_FlowConnection)
            self._pools.setdefault(loop, pool)
            if self._pools[loop] is not pool:  # another task made one meanwhile
                await pool.close()
                pool = self._pools[loop]
        return pool

    def _statement(self, stmt: Executable) -> _Compiled:
        found = self._compiled.get(stmt)
        if found is None:
            found = self._compiled[stmt] = _compile(stmt)
        return found

    async def run(self, flow: Flow[T]) -> T:
        """Run ``flow`` in one transaction of a pooled connection; return its value. A flow
        that ends (or fails) without committing is rolled back."""
        pool = await self._pool()
        async with pool.acquire() as conn:
            in_tx = False
            flow_ = Stepper(flow)
            try:
                while (step := flow_.next()) is not None:
                    if step is COMMIT or step is ROLLBACK:
                        if in_tx:
                            in_tx = False
                            await conn.execute(step.name)
                        continue
                    assert isinstance(step, Op)
                    if not in_tx:
                        await conn.execute("BEGIN")
                        in_tx = True
                    try:
                        flow_.value = await self._execute(conn, step)
                    except asyncpg.UniqueViolationError:
                        flow_.error = DuplicateRow()
                return flow_.result  # type: ignore[no-any-return]
            finally:
                if in_tx:
                    await conn.execute("ROLLBACK")

    async def _execute(self, conn: asyncpg.Connection, step: Op) -> Any:
        c = self._statement(step.stmt)
        params = step.params
        args = []
        for name, process in zip(c.names, c.binds, strict=True):
            value = params[name] if name in params else c.defaults[name]
            args.append(value if process is None else process(value))
        if isinstance(step, Scalar | One):
            row = await conn.fetchrow(c.sql, *args)
            if row is None:
                return None
            values = tuple(v if p is None else p(v) for v, p in zip(row, c.results,
                                                                     strict=False))
            return values[0] if isinstance(step, Scalar) else values
        if isinstance(step, All):
            rows = await conn.fetch(c.sql, *args)
            return [tuple(v if p is None else p(v) for v, p in zip(r, c.results, strict=False))
                    for r in rows]
        await conn.execute(c.sql, *args)
        return None

    async def dispose(self) -> None:
        """Close this loop's connections (at shutdown)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()
