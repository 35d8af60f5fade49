"""What the staff map shows: open items of each layer the reader may read, by grid.

An item with coordinates is a point; one without is counted at its grid (the place its
``scope`` names, usually a grid) and drawn at a point inside that grid's boundary, labelled
as such. Grids are numbered in code order so the page's table and the map colour them alike.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.alerts.adapters import Alert
from rescity.community.alerts.domain import AlertStatus
from rescity.community.cases.adapters import WorkOrder
from rescity.community.cases.domain import OPEN_STATUSES, CaseStatus, service_levels
from rescity.community.help.adapters import HelpRequest
from rescity.community.help.domain import HelpStatus
from rescity.community.shared.scoping import scope_filter
from rescity.core.errors import InputError, PermissionDenied, Problem
from rescity.core.i18n import Translator
from rescity.core.places import LEVEL_ORDER, Place, PlaceLevel
from rescity.core.security.policy import Principal, visible_scopes

KINDS = ("case", "help", "alert")
READ = {"case": "community.case.read", "help": "community.help.read",
        "alert": "community.alert.read"}
STATUSES: dict[str, tuple[str, ...]] = {
    "case": tuple(CaseStatus), "help": tuple(HelpStatus), "alert": tuple(AlertStatus)}
OPEN: dict[str, frozenset[str]] = {
    "case": frozenset(OPEN_STATUSES),
    "help": frozenset({HelpStatus.OPEN, HelpStatus.OFFERED, HelpStatus.ACCEPTED,
                       HelpStatus.IN_PROGRESS, HelpStatus.ESCALATED}),
    "alert": frozenset({AlertStatus.NEW, AlertStatus.ACKNOWLEDGED}),
}
ALL_STATUSES = tuple(sorted({s for values in STATUSES.values() for s in values}))
LIMIT = 1000
"""Most recent items per layer on one map."""


@dataclass(frozen=True)
class MapItem:
    kind: str
    id: int
    type: str  # the case's service code, the help kind, the alert kind
    status: str
    scope: str
    lat: float | None
    lon: float | None

    @property
    def public_id(self) -> str:
        return f"{self.kind[0].upper()}{self.id}"

    @property
    def link(self) -> str:
        return {"case": f"/community/cases/{self.id}", "help": f"/community/help#help-{self.id}",
                "alert": f"/community/alerts#alert-{self.id}"}[self.kind]


@dataclass
class GridSummary:
    place: Place
    colour: int
    anchor: tuple[float, float] | None  # (lon, lat) inside the boundary
    located: Counter[str] = field(default_factory=Counter)
    unlocated: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class MapData:
    kinds: tuple[str, ...]  # the layers shown (asked for and readable)
    status: str
    items: list[MapItem]
    grids: dict[str, GridSummary]  # by place path


def readable_kinds(principal: Principal) -> tuple[str, ...]:
    """The layers the principal may read somewhere (a grant, not only their own rows)."""
    return tuple(k for k in KINDS if visible_scopes(principal, READ[k]))


def check_filters(kinds: list[str], status: str, *, t: Translator) -> None:
    problems = [Problem("kind", t("maps.bad_kind", kinds=", ".join(KINDS)))
                for k in kinds if k not in KINDS][:1]
    if status != "open" and status not in ALL_STATUSES:
        problems.append(Problem("status", t("maps.bad_status",
                                            statuses=", ".join(("open", *ALL_STATUSES)))))
    if problems:
        raise InputError(problems, source="map")


def map_data(session: Session, principal: Principal, *, kinds: list[str], status: str,
             t: Translator) -> MapData:
    """The open (or ``status``) items of the layers asked for (all readable when none),
    each layer inside the places where the principal may read it."""
    check_filters(kinds, status, t=t)
    readable = readable_kinds(principal)
    if not readable:
        raise PermissionDenied(t("maps.forbidden"))
    shown = tuple(k for k in readable if not kinds or k in kinds)
    items: list[MapItem] = []
    for kind in shown:
        wanted = sorted(OPEN[kind]) if status == "open" else (
            [status] if status in STATUSES[kind] else [])
        if wanted:
            items.extend(_layer(session, principal, kind, wanted))
    return MapData(shown, status, items, _grids(session, items))


def _layer(session: Session, principal: Principal, kind: str,
           statuses: list[str]) -> list[MapItem]:
    if kind == "case":
        c = WorkOrder
        rows = session.execute(
            select(c.id, c.service_code, c.status, c.scope, c.lat, c.lon)
            .where(scope_filter(c.scope, principal, READ[kind]), c.status.in_(statuses))
            .order_by(c.id.desc()).limit(LIMIT))
    elif kind == "help":
        h = HelpRequest
        rows = session.execute(
            select(h.id, h.kind, h.status, h.scope, h.lat, h.lon)
            .where(scope_filter(h.scope, principal, READ[kind]), h.status.in_(statuses))
            .order_by(h.id.desc()).limit(LIMIT))
    else:
        a = Alert
        rows = session.execute(
            select(a.id, a.kind, a.status, a.scope)
            .where(scope_filter(a.scope, principal, READ[kind]), a.status.in_(statuses))
            .order_by(a.id.desc()).limit(LIMIT))
    out = []
    for row in rows:
        lat, lon = (row[4], row[5]) if len(row) > 4 else (None, None)
        out.append(MapItem(kind, row[0], row[1], row[2], row[3], lat, lon))
    return out


def _anchor(place: Place) -> tuple[float, float] | None:
    if not place.boundary:
        return None
    import shapely

    point = shapely.from_geojson(place.boundary).representative_point()
    return (round(point.x, 6), round(point.y, 6))


def _grids(session: Session, items: list[MapItem]) -> dict[str, GridSummary]:
    paths = {i.scope for i in items}
    places = list(session.scalars(select(Place).where(Place.path.in_(paths)))) if paths else []
    places.sort(key=lambda p: p.code)
    grids = {p.path: GridSummary(p, n, _anchor(p)) for n, p in enumerate(places)}
    for item in items:
        grid = grids.get(item.scope)
        if grid is not None:
            (grid.located if item.lat is not None else grid.unlocated)[item.kind] += 1
    return grids


def _labels(item: MapItem, lang: str, t: Translator) -> tuple[str, str]:
    """The item's type and status in the reader's language."""
    if item.kind == "case":
        case_type = service_levels().types.get(item.type)
        kind = case_type.name(lang) if case_type else item.type
    elif item.kind == "help":
        kind = t("ops.help_kind." + item.type)
    else:
        kind = t("c.kind." + item.type)
    return kind, t("maps.status." + item.status)


def as_geojson(data: MapData, lang: str, t: Translator) -> dict[str, Any]:
    """Points for the map (items without coordinates at their grid's anchor, marked
    ``located: false``) and the grid summaries; nothing personal."""
    features = []
    for item in data.items:
        grid = data.grids.get(item.scope)
        if item.lat is not None and item.lon is not None:
            point: list[float] | None = [item.lon, item.lat]
        else:
            point = list(grid.anchor) if grid and grid.anchor else None
        type_label, status_label = _labels(item, lang, t)
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": point} if point else None,
            "properties": {
                "kind": item.kind, "id": item.id, "public_id": item.public_id,
                "type": item.type, "status": item.status, "type_label": type_label,
                "status_label": status_label, "located": item.lat is not None,
                "grid": grid.place.code if grid else None,
                "colour": grid.colour if grid else None, "link": item.link,
            },
        })
    return {
        "type": "FeatureCollection", "features": features,
        "kinds": list(data.kinds), "status": data.status,
        "grids": [{"code": g.place.code, "name": g.place.name(lang), "level": g.place.level,
                   "colour": g.colour, "anchor": list(g.anchor) if g.anchor else None,
                   "located": dict(g.located), "unlocated": dict(g.unlocated)}
                  for g in data.grids.values()],
    }


def boundaries(session: Session, principal: Principal) -> dict[str, Any]:
    """The boundaries of the places the principal may see (``place.read``), outermost first:
    the basemap of the staff map and of the location picker."""
    rows = session.scalars(select(Place).where(
        Place.boundary.is_not(None), scope_filter(Place.path, principal, "place.read")))
    features = [
        {"type": "Feature", "geometry": json.loads(p.boundary or "null"),
         "properties": {"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en,
                        "level": p.level, "depth": LEVEL_ORDER.index(PlaceLevel(p.level))}}
        for p in rows
    ]
    features.sort(key=lambda f: (f["properties"]["depth"], f["properties"]["code"]))
    return {"type": "FeatureCollection", "features": features}

