"""Create or update the place hierarchy with boundaries from a file, all or nothing.

Every feature is checked before anything is written; one :class:`InputError` then names
each bad feature (its number in the file, its code, what is wrong). A feature whose code is
already stored updates that place's names and boundary; it may not change level or parent,
because records keep their place's path as their scope and would silently change hands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core.boundaries.locate import shape_of
from rescity.core.boundaries.sources import Feature
from rescity.core.errors import InputError, Problem
from rescity.core.i18n import Translator, translator
from rescity.core.places import LEVEL_ORDER, Place, PlaceLevel, add_place

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

# A child may stick out of its parent by this share of its own area (digitising slivers).
OUTSIDE_TOLERANCE = 1e-6
LEVELS = {str(level) for level in PlaceLevel}
Report = Callable[..., None]  # (feature, message key, **params)
# The messages a report can carry: catalog keys "places.import.<key>".
PROBLEM_KEYS = ("empty", "duplicate", "missing_field", "unknown_level", "missing_parent",
                "invalid_geometry", "missing_geometry", "wrong_geometry_type", "not_lonlat",
                "cycle", "unknown_parent", "level_changed", "moved", "level_order",
                "outside_parent", "child_outside")


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    dry_run: bool = False


def import_places(session: Session, features: list[Feature], *, dry_run: bool = False,
                  t: Translator | None = None) -> ImportReport:
    """Check every feature, then create or update the places (parents first).

    Writes through ``session`` without committing: the caller's unit of work commits (or, for
    a dry run, rolls back). Raises InputError naming every bad feature, having written nothing;
    its messages come from ``t`` (English by default).
    """
    t = t or translator("en")
    if not features:
        raise InputError([Problem("file", t("places.import.empty"))], source="places import")
    stored = {p.code: p for p in session.scalars(select(Place))}
    problems = _check(features, stored, t)
    if problems:
        raise InputError(problems, source="places import")
    report = ImportReport(dry_run=dry_run)
    for feature in _parents_first(features):
        code, geometry = feature.code or "", feature.geometry
        if geometry is None:  # cannot happen after the checks; keeps the types honest
            continue
        place = stored.get(code)
        if place is None:
            parent = stored.get(feature.parent) if feature.parent else None
            place = add_place(session, level=PlaceLevel(feature.level or ""), code=code,
                              name_zh=feature.name or "", name_en=feature.name_en,
                              parent=parent)
            stored[code] = place
            report.created.append(code)
        else:
            place.name_zh = feature.name or place.name_zh
            place.name_en = feature.name_en or place.name_en
            report.updated.append(code)
        set_boundary(place, geometry)
    session.flush()
    return report


def set_boundary(place: Place, geometry: BaseGeometry) -> None:
    import shapely

    place.boundary = shapely.to_geojson(geometry)
    place.min_lon, place.min_lat, place.max_lon, place.max_lat = (
        float(v) for v in geometry.bounds)


def _parents_first(features: list[Feature]) -> list[Feature]:
    def depth(f: Feature) -> int:
        return LEVEL_ORDER.index(PlaceLevel(f.level or "city"))

    return sorted(features, key=lambda f: (depth(f), f.index))


def _check(features: list[Feature], stored: dict[str, Place], t: Translator) -> list[Problem]:
    problems: list[Problem] = []

    def bad(f: Feature, key: str, **params: object) -> None:
        where = t("places.import.feature", index=f.index, code=f.code or "?")
        problems.append(Problem(where, t("places.import." + key, **params)))

    code_of_id = {p.id: p.code for p in stored.values()}
    seen: dict[str, int] = {}
    for f in features:
        _check_fields(f, bad)
        if f.code:
            if f.code in seen:
                bad(f, "duplicate", code=f.code, first=seen[f.code])
            seen.setdefault(f.code, f.index)
    by_code = {f.code: f for f in features if f.code}
    in_cycle = _cycles(features, by_code, bad)
    for f in features:
        if not f.code or f.code in in_cycle:
            continue
        _check_parent(f, by_code, stored, code_of_id, bad)
    _check_nesting(features, by_code, stored, bad)
    return problems


def _check_fields(f: Feature, bad: Report) -> None:
    import shapely

    for name in ("code", "name", "level"):
        if getattr(f, name) is None:
            bad(f, "missing_field", field=name)
    if f.level is not None and f.level not in LEVELS:
        bad(f, "unknown_level", level=f.level, levels=", ".join(LEVEL_ORDER))
    if f.parent is None and f.level not in (None, PlaceLevel.CITY):
        bad(f, "missing_parent")
    if f.geometry_error:
        bad(f, "invalid_geometry", reason=f.geometry_error)
    elif f.geometry is None:
        bad(f, "missing_geometry")
    elif f.geometry.geom_type not in ("Polygon", "MultiPolygon"):
        bad(f, "wrong_geometry_type", kind=f.geometry.geom_type)
    elif f.geometry.is_empty:
        bad(f, "invalid_geometry", reason="empty")
    elif not f.geometry.is_valid:
        bad(f, "invalid_geometry", reason=shapely.is_valid_reason(f.geometry))
    else:
        x0, y0, x1, y1 = f.geometry.bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            bad(f, "not_lonlat")


def _cycles(features: list[Feature], by_code: dict[str, Feature], bad: Report) -> set[str]:
    """Codes on a parent cycle within the file (A's parent B, B's parent A), each reported."""
    on_cycle: set[str] = set()
    for f in features:
        chain: list[str] = []
        current: Feature | None = f
        while current is not None and current.code and current.code not in chain:
            chain.append(current.code)
            current = by_code.get(current.parent) if current.parent else None
        if current is not None and current.code == f.code and f.code not in on_cycle:
            loop = [*chain, f.code or "?"]
            on_cycle.update(chain)
            for code in chain:
                bad(by_code[code], "cycle", loop=" → ".join(loop))
    return on_cycle


def _check_parent(f: Feature, by_code: dict[str, Feature], stored: dict[str, Place],
                  code_of_id: dict[int, str], bad: Report) -> None:
    existing = stored.get(f.code or "")
    if f.parent is None:
        parent_level = None
    elif f.parent in by_code:
        parent_level = by_code[f.parent].level
    elif f.parent in stored:
        parent_level = stored[f.parent].level
    else:
        bad(f, "unknown_parent", parent=f.parent)
        return
    if existing is not None:
        old_parent = code_of_id.get(existing.parent_id) if existing.parent_id else None
        if f.level is not None and f.level != existing.level:
            bad(f, "level_changed", level=existing.level)
        if f.parent != old_parent:
            bad(f, "moved", parent=old_parent or "-")
    if f.level not in LEVELS or (parent_level is not None and parent_level not in LEVELS):
        return
    if parent_level is None:
        return
    expected = LEVEL_ORDER.index(PlaceLevel(parent_level)) + 1
    if LEVEL_ORDER.index(PlaceLevel(f.level)) != expected:
        bad(f, "level_order", level=f.level, parent_level=parent_level, parent=f.parent)


def _usable(f: Feature) -> bool:
    g = f.geometry
    return (g is not None and not f.geometry_error and g.geom_type in ("Polygon", "MultiPolygon")
            and not g.is_empty and g.is_valid)


def _check_nesting(features: list[Feature], by_code: dict[str, Feature],
                   stored: dict[str, Place], bad: Report) -> None:
    """Children must lie inside their parents, for pairs where either side is in the file."""

    def geometry_of(code: str) -> BaseGeometry | None:
        if code in by_code:
            f = by_code[code]
            return f.geometry if _usable(f) else None
        place = stored.get(code)
        return shape_of(place.boundary) if place is not None and place.boundary else None

    for f in features:
        if not f.parent or not _usable(f):
            continue
        parent_geom = geometry_of(f.parent)
        if parent_geom is not None:
            share = _outside_share(f.geometry, parent_geom)
            if share > OUTSIDE_TOLERANCE:
                bad(f, "outside_parent", share=f"{share:.1%}", parent=f.parent)
    # Stored children (not in the file) of places whose boundary the file changes.
    ids = {p.id: p for p in stored.values()}
    for child in stored.values():
        if child.code in by_code or child.parent_id is None or not child.boundary:
            continue
        parent = ids.get(child.parent_id)
        if parent is None or parent.code not in by_code or not _usable(by_code[parent.code]):
            continue
        share = _outside_share(shape_of(child.boundary), by_code[parent.code].geometry)
        if share > OUTSIDE_TOLERANCE:
            bad(by_code[parent.code], "child_outside", level=child.level, child=child.code,
                share=f"{share:.1%}")


def _outside_share(child: BaseGeometry | None, parent: BaseGeometry) -> float:
    if child is None or child.area == 0:
        return 0.0
    return float(child.difference(parent).area / child.area)
