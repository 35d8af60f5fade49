"""The "one screen": figures per community, rolled up per sub-district and district.

Every published count is desensitised: a count between 1 and k-1 (k = 5) is withheld, so
that no figure can point at one household ("1 person under quarantine in grid 3").
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from rescity.community.adapters.orm import CareFlag, CheckIn, Resident
from rescity.community.domain.stats import K_MIN, rate, suppress
from rescity.community.services.access import passages_by_hour
from rescity.community.services.alerts import open_counts
from rescity.community.services.runtime import Runtime
from rescity.core.places import LEVEL_ORDER, Place, PlaceLevel, get_place
from rescity.core.security.policy import Principal, Target, require
from rescity.core.storage.uow import UnitOfWork


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def raw_figures(session: Session, rt: Runtime, place: Place) -> dict[str, Any]:
    """Exact figures under one place; never published as they are (see :func:`dashboard`)."""
    path = place.path
    today = rt.today()
    active = (Resident.erased_at.is_(None), Resident.left_at.is_(None))
    under = Resident.scope.startswith(path, autoescape=True)
    residents = _count(session, select(func.count()).select_from(Resident).where(under, *active))
    checked = _count(session, select(func.count(distinct(CheckIn.resident_id))).where(
        CheckIn.scope.startswith(path, autoescape=True), CheckIn.day == today
    ))
    fever = _count(session, select(func.count(distinct(CheckIn.resident_id))).where(
        CheckIn.scope.startswith(path, autoescape=True), CheckIn.day == today,
        CheckIn.fever.is_(True),
    ))
    care = _count(session, select(func.count(distinct(CareFlag.resident_id))).where(
        CareFlag.scope.startswith(path, autoescape=True), CareFlag.withdrawn_at.is_(None)
    ))
    quarantined = _count(session, select(func.count()).select_from(Resident).where(
        under, *active, Resident.quarantine_until > rt.now()
    ))
    start = datetime.combine(today, time(0), tzinfo=rt.zone)
    return {
        "residents": residents, "checked_in_today": checked, "fever_today": fever,
        "under_care": care, "under_quarantine": quarantined,
        "open_alerts": open_counts(session, path),
        "passages_by_hour": passages_by_hour(session, rt, path, start),
    }


def desensitise(raw: dict[str, Any], *, k: int = K_MIN) -> dict[str, Any]:
    return {
        "residents": suppress(raw["residents"], k=k),
        "checked_in_today": suppress(raw["checked_in_today"], k=k),
        "checkin_rate": rate(raw["checked_in_today"], raw["residents"], k=k),
        "fever_today": suppress(raw["fever_today"], k=k),
        "under_care": suppress(raw["under_care"], k=k),
        "under_quarantine": suppress(raw["under_quarantine"], k=k),
        "open_alerts": {kind: suppress(n, k=k) for kind, n in sorted(raw["open_alerts"].items())},
        "open_alerts_total": suppress(sum(raw["open_alerts"].values()), k=k),
        "passages_by_hour": [
            {"hour": h["hour"], "in": suppress(h["in"], k=k), "out": suppress(h["out"], k=k)}
            for h in raw["passages_by_hour"]
        ],
    }


def dashboard(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, place_code: str
) -> dict[str, Any]:
    """Figures for a place and for each place one level below it (grids of a community,
    communities of a sub-district, sub-districts of a district), all desensitised."""
    session = uow.session
    place = get_place(session, place_code)
    require(principal, "community.dashboard.read", Target(scope=place.path))
    level = PlaceLevel(place.level)
    children: list[Place] = []
    if level != PlaceLevel.GRID:
        below = LEVEL_ORDER[LEVEL_ORDER.index(level) + 1]
        children = list(session.scalars(
            select(Place).where(
                Place.parent_id == place.id, Place.level == below.value
            ).order_by(Place.code)
        ))
    return {
        "place": {"code": place.code, "level": place.level, "name_zh": place.name_zh,
                  "name_en": place.name_en},
        "day": rt.today().isoformat(),
        "k": K_MIN,
        "figures": desensitise(raw_figures(session, rt, place)),
        "breakdown": [
            {"code": c.code, "level": c.level, "name_zh": c.name_zh, "name_en": c.name_en,
             "figures": desensitise(raw_figures(session, rt, c))}
            for c in children
        ],
    }
