"""The "one screen": figures per community, rolled up per sub-district and district.

Every published count is desensitised: a count between 1 and k-1 (k = 5) is withheld, so
that no figure can point at one household ("1 person under quarantine in grid 3"), and so are
the figures from which a withheld one could be subtracted back (complementary suppression).
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, time
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from rescity.community.access.gate_log import passages_by_hour
from rescity.community.alerts.services import open_counts
from rescity.community.dashboard.domain import K_MIN, complementary, rate, suppress
from rescity.community.health.adapters import CheckIn
from rescity.community.shared.adapters import CareFlag, Resident
from rescity.community.shared.runtime import Runtime
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


COUNTS = ("residents", "checked_in_today", "fever_today", "under_care", "under_quarantine",
          "open_alerts_total")


def _cells(raw: dict[str, Any]) -> dict[str, int]:
    out = {m: raw[m] for m in COUNTS if m != "open_alerts_total"}
    out["open_alerts_total"] = sum(raw["open_alerts"].values())
    out |= {f"alert:{kind}": n for kind, n in raw["open_alerts"].items()}
    return out


def desensitise_all(raws: list[dict[str, Any]], *, k: int = K_MIN) -> list[dict[str, Any]]:
    """Figures of a place (first) and of the places below it, desensitised together: small
    counts withheld, and with them the cells that subtraction would reveal (a community's
    total minus one grid, an alert total minus the kinds shown)."""
    cells = [_cells(r) for r in raws]
    kinds = sorted({key for c in cells for key in c if key.startswith("alert:")})
    values: dict[Hashable, int] = {(i, key): c.get(key, 0) for i, c in enumerate(cells)
                                   for key in (*COUNTS, *kinds)}
    groups: list[tuple[Hashable, list[Hashable]]] = [
        ((i, "open_alerts_total"), [(i, kind) for kind in kinds]) for i in range(len(raws))
    ]
    if len(raws) > 1:
        groups += [((0, key), [(i, key) for i in range(1, len(raws))])
                   for key in (*COUNTS, *kinds)]
    hidden = complementary(values, groups, k=k)

    def shown(i: int, key: str) -> int | None:
        return None if (i, key) in hidden else values[(i, key)]

    out = []
    for i, raw in enumerate(raws):
        both = shown(i, "checked_in_today") is not None and shown(i, "residents") is not None
        out.append({
            **{m: shown(i, m) for m in COUNTS if m != "open_alerts_total"},
            # A share with one side withheld would give that side back.
            "checkin_rate": rate(raw["checked_in_today"], raw["residents"], k=k)
            if both else None,
            "open_alerts": {kind: shown(i, f"alert:{kind}")
                            for kind in sorted(raw["open_alerts"])},
            "open_alerts_total": shown(i, "open_alerts_total"),
            "passages_by_hour": [
                {"hour": h["hour"], "in": suppress(h["in"], k=k),
                 "out": suppress(h["out"], k=k)}
                for h in raw["passages_by_hour"]
            ],
        })
    return out


def noise_figures(session: Session, rt: Runtime, places: list[Place],
                  figures: list[dict[str, Any]]) -> None:
    """Every published count through the outbreak statistics' mechanism (discrete Laplace),
    in place; shares are worked out again from the noised counts."""
    from rescity.community.outbreak.dp import discrete_laplace
    from rescity.community.outbreak.publish import noised_dashboard

    cells: list[tuple[str, int | None]] = []
    slots: list[tuple[dict[str, Any], str]] = []
    for place, f in zip(places, figures, strict=True):
        holders = [(f, m) for m in COUNTS] + [(f["open_alerts"], k) for k in f["open_alerts"]]
        holders += [(h, d) for h in f["passages_by_hour"] for d in ("in", "out")]
        for holder, key in holders:
            label = key if holder is f else f"{key}:{holder.get('hour', 'alert')}"
            cells.append((f"dashboard:{place.code}:{label}", holder[key]))
            slots.append((holder, key))
    noised = noised_dashboard(session, rt.settings, discrete_laplace, rt.today(), cells)
    for (holder, key), value in zip(slots, noised, strict=True):
        holder[key] = value
    for f in figures:
        if f["checkin_rate"] is not None:
            f["checkin_rate"] = rate(f["checked_in_today"] or 0, f["residents"] or 0)


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
    figures = desensitise_all([raw_figures(session, rt, p) for p in (place, *children)])
    noise_figures(session, rt, [place, *children], figures)
    uow.commit()  # the stored draws: reloading shows the same noised figures
    return {
        "place": {"code": place.code, "level": place.level, "name_zh": place.name_zh,
                  "name_en": place.name_en},
        "day": rt.today().isoformat(),
        "k": K_MIN,
        "epsilon": rt.settings.dashboard_dp_epsilon,
        "figures": figures[0],
        "breakdown": [
            {"code": c.code, "level": c.level, "name_zh": c.name_zh, "name_en": c.name_en,
             "figures": f}
            for c, f in zip(children, figures[1:], strict=True)
        ],
    }
