"""Exact tables for staff, and published releases through differential privacy.

A release counts confirmed cases (by confirmation day) per grid and day or week under a
place, adds discrete Laplace noise of scale 1/ε to every cell (``dp``), withholds cells whose
noised count is below k, and stores the result: every later view shows that same release.

The ledger keeps the ε spent. A person living in a grid is covered by the releases of that
grid and of every place above or below it; before a release on a place, the ε already spent
on places overlapping it (above, itself, below) plus the new ε must stay within
``outbreak_dp_budget``, else the release is refused. Releases take a row lock first, so two
at once cannot both pass the check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rescity.community.outbreak.adapters import (
    BudgetLock,
    LedgerEntry,
    NoisedCell,
    OutbreakCase,
    Release,
)
from rescity.community.outbreak.cases import READ, case_day, cases_under
from rescity.community.outbreak.domain import CaseStatus, Granularity, period_start, periods
from rescity.community.outbreak.dp import Mechanism, Noise, suppressed
from rescity.community.outbreak.runtime import OutbreakRuntime
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.config import Settings
from rescity.core.errors import Conflict, InputError, Problem
from rescity.core.places import Place, PlaceLevel, get_place
from rescity.core.security.policy import Principal, Target, require
from rescity.core.storage.uow import UnitOfWork

MICRO = 1_000_000
CASES_BUDGET = "cases"
MAX_PERIODS = 120


class BudgetExhausted(Conflict):
    """The release would take the privacy loss of some place beyond the configured total."""


def grids_under(session: Session, place: Place) -> list[Place]:
    return list(session.scalars(select(Place).where(
        Place.level == PlaceLevel.GRID.value, Place.path.startswith(place.path, autoescape=True),
    ).order_by(Place.code)))


def exact_table(uow: UnitOfWork, principal: Principal, *, place_code: str,
                granularity: Granularity, first: date, last: date) -> dict[str, Any]:
    """Exact counts of cases by grid and building, per status and period, for staff."""
    session = uow.session
    place = get_place(session, place_code)
    require(principal, READ, Target(scope=place.path))
    spans = periods(first, last, granularity)
    grids = {g.id: g for g in grids_under(session, place)}
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for case in cases_under(session, principal, place):
        day = case_day(case)
        if case.place_id in grids and first <= day <= last:
            grid = grids[case.place_id]
            start = period_start(day, granularity).isoformat()
            counts[(grid.code, case.building, start, case.status)] += 1
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for (grid_code, building, start, status), n in sorted(counts.items()):
        row = rows.setdefault((grid_code, building), {
            "grid": grid_code, "building": building, "periods": {}, "total": 0})
        cell = row["periods"].setdefault(start, {s.value: 0 for s in CaseStatus})
        cell[status] += n
        row["total"] += n
    active = sorted({p for row in rows.values() for p in row["periods"]})
    return {"place": place.code, "granularity": granularity.value,
            "periods": [p.isoformat() for p in spans], "active": active,
            "rows": list(rows.values())}


def _ancestors(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def spent(session: Session, place: Place, budget: str = CASES_BUDGET) -> float:
    """ε spent by releases on places overlapping ``place`` (above it, itself, below it)."""
    total = session.scalar(select(func.coalesce(func.sum(LedgerEntry.epsilon_micro), 0)).where(
        LedgerEntry.budget == budget,
        or_(LedgerEntry.scope.in_(_ancestors(place.path)),
            LedgerEntry.scope.startswith(place.path, autoescape=True)),
    ))
    return int(total or 0) / MICRO


def budget_left(session: Session, settings: Settings, place: Place) -> float:
    return max(0.0, settings.outbreak_dp_budget - spent(session, place))


def charge(session: Session, settings: Settings, principal: Principal | None, place: Place,
           epsilon: float) -> LedgerEntry:
    """Lock the budget, check it, and write the ledger entry; refuses beyond the total."""
    locked = session.execute(update(BudgetLock).where(BudgetLock.name == CASES_BUDGET)
                             .values(releases=BudgetLock.releases + 1))
    if not locked.rowcount:  # type: ignore[attr-defined]
        session.add(BudgetLock(name=CASES_BUDGET, releases=1))
        session.flush()
    used = round(spent(session, place) * MICRO)
    wanted, total = round(epsilon * MICRO), round(settings.outbreak_dp_budget * MICRO)
    if used + wanted > total:
        raise BudgetExhausted(
            f"this release (ε = {epsilon:g}) would bring the privacy loss of {place.code} to "
            f"{(used + wanted) / MICRO:g}, beyond the budget of {total / MICRO:g}"
        )
    entry = LedgerEntry(budget=CASES_BUDGET, scope=place.path, epsilon_micro=wanted,
                        actor_id=principal.user_id if principal else None)
    session.add(entry)
    session.flush()
    return entry


def release(uow: UnitOfWork, rt: OutbreakRuntime, principal: Principal, *, place_code: str,
            granularity: Granularity, first: date, last: date) -> Release:
    """Publish noised counts of confirmed cases per grid and period under a place."""
    session = uow.session
    place = get_place(session, place_code)
    require(principal, "community.outbreak.publish", Target(scope=place.path))
    spans = periods(first, last, granularity)
    if last < first or len(spans) > MAX_PERIODS or last > rt.today():
        raise InputError([Problem("last", f"a range of 1 to {MAX_PERIODS} {granularity}s, "
                                  "ending today at the latest")])
    settings = rt.settings
    epsilon, k = settings.outbreak_dp_epsilon, settings.outbreak_dp_k
    entry = charge(session, settings, principal, place, epsilon)
    grids = grids_under(session, place)
    index = {(g.id, p): i for i, (g, p) in enumerate((g, p) for g in grids for p in spans)}
    exact = [0] * len(index)
    confirmed = (CaseStatus.CONFIRMED.value, CaseStatus.RECOVERED.value)
    for case in session.scalars(select(OutbreakCase).where(
        OutbreakCase.scope.startswith(place.path, autoescape=True),
        OutbreakCase.status.in_(confirmed), OutbreakCase.confirmed_date >= first,
        OutbreakCase.confirmed_date <= last,
    )):
        assert case.confirmed_date is not None
        cell = index.get((case.place_id, period_start(case.confirmed_date, granularity)))
        if cell is not None:
            exact[cell] += 1
    noised = rt.noise(exact, epsilon)
    cells = [{"grid": g.code, "grid_name": g.name_zh, "grid_name_en": g.name_en,
              "period": p.isoformat(), "count": suppressed(noised[i], k)}
             for (g, p), i in ((gp, index[(gp[0].id, gp[1])]) for gp in
                               ((g, p) for g in grids for p in spans))]
    published = Release(place_id=place.id, scope=place.path, granularity=granularity.value,
                        first_day=first, last_day=last, epsilon=epsilon,
                        scale=Mechanism(epsilon).scale, k=k, cells=cells,
                        released_at=rt.now(), released_by=principal.user_id)
    session.add(published)
    session.flush()
    entry.release_id = published.id
    audit.record(session, principal, kind=AuditKind.WRITE, action="community.outbreak.publish",
                 record_type="outbreak_release", record_id=published.id, scope=place.path,
                 detail={"epsilon": epsilon, "k": k, "cells": len(cells)})
    uow.commit()
    return published


def releases_for(session: Session, place: Place, *, limit: int = 20) -> list[Release]:
    """Stored releases of a place and of the places below it, newest first."""
    return list(session.scalars(select(Release).where(
        Release.scope.startswith(place.path, autoescape=True),
    ).order_by(Release.released_at.desc(), Release.id.desc()).limit(limit)))


def place_codes(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(Place.id, Place.code).where(Place.id.in_(ids)))
    return {place_id: code for place_id, code in rows}


def ledger(session: Session, principal: Principal, place: Place) -> list[LedgerEntry]:
    require(principal, "community.outbreak.publish", Target(scope=place.path))
    return list(session.scalars(select(LedgerEntry).where(
        or_(LedgerEntry.scope.in_(_ancestors(place.path)),
            LedgerEntry.scope.startswith(place.path, autoescape=True)),
    ).order_by(LedgerEntry.id)))


def noised_dashboard(session: Session, settings: Settings, noise: Noise, day: date,
                     cells: Sequence[tuple[str, int | None]]) -> list[int | None]:
    """The community dashboard's hook: its published counts through the same mechanism.

    Each figure gets one draw per day and exact value, stored, so reloading the dashboard
    shows the same number instead of fresh noise to average away; figures already withheld
    (``None``) stay withheld, and a noised count below 0 is shown as 0.
    """
    epsilon = settings.dashboard_dp_epsilon
    if epsilon <= 0:
        return [value for _key, value in cells]
    wanted = [(f"{day.isoformat()}:{key}", value) for key, value in cells if value is not None]
    stored = {(c.key, c.exact): c.noised for c in session.scalars(select(NoisedCell).where(
        NoisedCell.day == day, NoisedCell.key.in_({key for key, _ in wanted})))}
    missing = [(key, value) for key, value in dict.fromkeys(wanted) if (key, value) not in stored]
    for (key, value), drawn in zip(missing, noise([v for _, v in missing], epsilon), strict=True):
        try:
            with session.begin_nested():  # another request may draw the same figure at once
                session.add(NoisedCell(key=key, exact=value, noised=drawn, day=day))
        except IntegrityError:
            drawn = session.scalar(select(NoisedCell.noised).where(
                NoisedCell.key == key, NoisedCell.exact == value)) or 0
        stored[(key, value)] = drawn
    return [None if value is None else max(0, stored[(f"{day.isoformat()}:{key}", value)])
            for key, value in cells]


def latest(session: Session, *, limit: int = 5) -> list[Release]:
    """The newest releases anywhere, for the public page without a place."""
    return list(session.scalars(select(Release).order_by(
        Release.released_at.desc(), Release.id.desc()).limit(limit)))
