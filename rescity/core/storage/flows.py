"""Database work written once, run two ways: a *flow*.

A flow is a generator that yields the database operations it needs (:class:`One`,
:class:`All`, :class:`Scalar`, :class:`Run`, :data:`COMMIT`, :data:`ROLLBACK`) and receives
their results; its return value is the service's answer::

    def checkin(...) -> Flow[int]:
        row = yield One(RESIDENT_BY_ID, {"id": resident_id})
        ...
        new_id = yield Scalar(INSERT_CHECKIN, values)
        yield COMMIT
        return new_id

The logic (validation, policy, rules, alerts) runs in between as plain Python and knows
nothing of drivers. :func:`run_flow` runs a flow on a SQLAlchemy session (SQLite, the embedded
default, and every synchronous caller); :class:`rescity.core.storage.aio.PgFlows` runs the
same flow on the event loop with asyncpg, for the few routes that gate devices and phones post
to all day. A unique-constraint violation reaches the flow as :class:`DuplicateRow`, thrown at
the ``yield`` that caused it, whichever runner it is.

Statements are SQLAlchemy Core statements whose bind parameters are all named (inserts list
every column: no Python-side column defaults are applied), so that both runners can execute
the very same statement object.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Executable, Table, bindparam, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")


class DuplicateRow(Exception):
    """A unique constraint refused a row (another request stored the same thing first)."""


@dataclass(frozen=True, slots=True)
class Op:
    stmt: Executable
    params: Mapping[str, Any] = field(default_factory=dict)


class One(Op):
    """The first row as a tuple, or None."""


class All(Op):
    """Every row, as tuples."""


class Scalar(Op):
    """The first column of the first row, or None."""


class Run(Op):
    """Execute; nothing is returned."""


class _Control:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


COMMIT = _Control("COMMIT")
ROLLBACK = _Control("ROLLBACK")

Step = Op | _Control
Flow = Generator[Step, Any, T]


def insert_all(table: Table, *, returning_id: bool = False) -> Executable:
    """``INSERT`` naming every column but an autoincrement key, each a bind parameter."""
    values = {c.name: bindparam(c.name, type_=c.type) for c in table.c
              if not (c.primary_key and c.autoincrement in (True, "auto"))}
    stmt = insert(table).values(values)
    return stmt.returning(table.c.id) if returning_id else stmt


class Stepper:
    """Drives a flow for a runner: :meth:`next` gives the next step (None when the flow has
    returned, its value then in :attr:`result`); the runner sets :attr:`value` to the step's
    result, or :attr:`error` to a :class:`DuplicateRow` to throw at that step."""

    def __init__(self, flow: Flow[Any]) -> None:
        self.flow = flow
        self.value: Any = None
        self.error: DuplicateRow | None = None
        self.result: Any = None

    def next(self) -> Step | None:
        try:
            step = (self.flow.send(self.value) if self.error is None
                    else self.flow.throw(self.error))
        except StopIteration as stop:
            self.result = stop.value
            return None
        self.value, self.error = None, None
        return step


def run_flow(session: Session, flow: Flow[T]) -> T:
    """Run ``flow`` on ``session``, in its transaction; return what the flow returns.

    Objects the session still holds are flushed before each statement, so rows keep the
    order in which the code asked for them (audit rows above all).
    """
    flow_ = Stepper(flow)
    while (step := flow_.next()) is not None:
        if step is COMMIT:
            try:
                session.commit()
            except IntegrityError as exc:
                flow_.error = _duplicate(exc)
        elif step is ROLLBACK:
            session.rollback()
        else:
            assert isinstance(step, Op)
            try:
                session.flush()
                result = session.connection().execute(step.stmt, dict(step.params))
            except IntegrityError as exc:
                flow_.error = _duplicate(exc)
                continue
            if isinstance(step, One):
                row = result.first()
                flow_.value = None if row is None else tuple(row)
            elif isinstance(step, All):
                flow_.value = [tuple(r) for r in result]
            elif isinstance(step, Scalar):
                flow_.value = result.scalar()
    return flow_.result  # type: ignore[no-any-return]


def _duplicate(exc: IntegrityError) -> DuplicateRow:
    """The violation as DuplicateRow if it is a unique one; any other (a foreign key, NOT
    NULL, a check) is a bug or bad data, not a race, and is raised as it is."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig):
        return DuplicateRow()
    raise exc
