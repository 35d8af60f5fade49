"""The innermost place whose boundary contains a point.

Edge rule: a point on a boundary belongs to the place (boundaries are closed sets), and so
does a point within :data:`EDGE_TOLERANCE_DEG` of it (about 1 cm), so that coordinates
rounded by a phone or a GIS still land somewhere. When several places cover the point, the
deepest level wins (a grid before its community); between places of the same level — two
grids sharing an edge or a corner — the one whose ``code`` sorts first wins. The answer is
therefore the same whatever order the rows come back in.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core.errors import InputError, Problem
from rescity.core.i18n import Translator, translator
from rescity.core.places import LEVEL_ORDER, Place, PlaceLevel, contains

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

EDGE_TOLERANCE_DEG = 1e-7
"""How far outside a boundary (in degrees, ~1 cm) a point still counts as on it."""


def check_coordinates(lon: float, lat: float, *, t: Translator | None = None) -> None:
    """Refuse coordinates that are not a point on Earth (NaN, swapped, out of range)."""
    t = t or translator("en")
    problems = []
    if not (isinstance(lon, int | float) and math.isfinite(lon) and -180 <= lon <= 180):
        problems.append(Problem("lon", t("places.locate.bad_lon")))
    if not (isinstance(lat, int | float) and math.isfinite(lat) and -90 <= lat <= 90):
        problems.append(Problem("lat", t("places.locate.bad_lat")))
    if problems:
        raise InputError(problems, source="coordinates")


@lru_cache(maxsize=1024)
def shape_of(boundary: str) -> BaseGeometry:
    """The parsed (and prepared) geometry of a stored boundary; cached by its text."""
    import shapely

    geom = shapely.from_geojson(boundary)
    shapely.prepare(geom)
    return geom


def _covers(place: Place, lon: float, lat: float) -> bool:
    import shapely

    if place.boundary is None:
        return False
    geom = shape_of(place.boundary)
    point = shapely.Point(lon, lat)
    if shapely.intersects(geom, point):
        return True
    return bool(shapely.distance(geom, point) <= EDGE_TOLERANCE_DEG)


def rank(place: Place) -> tuple[int, str]:
    """Sort key of the edge rule: deepest level first, then the smallest code."""
    return (-LEVEL_ORDER.index(PlaceLevel(place.level)), place.code)


def covering(session: Session, lon: float, lat: float, *, t: Translator | None = None
             ) -> list[Place]:
    """Every place whose boundary covers the point, innermost first (see the edge rule)."""
    check_coordinates(lon, lat, t=t)
    tol = EDGE_TOLERANCE_DEG
    stmt: Any = select(Place).where(
        Place.boundary.is_not(None),
        Place.min_lon <= lon + tol,
        Place.max_lon >= lon - tol,
        Place.min_lat <= lat + tol,
        Place.max_lat >= lat - tol,
    )
    found = [p for p in session.scalars(stmt) if _covers(p, lon, lat)]
    return sorted(found, key=rank)


def locate(session: Session, lon: float, lat: float) -> Place | None:
    """The innermost place containing (lon, lat) in WGS84 degrees, or None outside all."""
    found = covering(session, lon, lat)
    return found[0] if found else None


def require_inside(
    session: Session, lon: float, lat: float, *, within: Place | None = None,
    t: Translator | None = None,
) -> Place:
    """The innermost place containing the point; InputError when it lies outside every
    boundary of the deployment, or outside ``within`` when given.

    With ``within``, a point on the edge between a place inside it and one outside resolves
    to the place inside (the caller asked about ``within``, so the edge counts as its own).
    Messages come from ``t`` (pass the user's translator; English by default).
    """
    t = t or translator("en")
    found = covering(session, lon, lat, t=t)
    if not found:
        raise InputError([Problem("location", t("places.locate.outside", lon=lon, lat=lat))],
                         source="location")
    if within is None:
        return found[0]
    inside = [p for p in found if contains(within.path, p.path)]
    if not inside:
        raise InputError(
            [Problem("location", t("places.locate.outside_within", lon=lon, lat=lat,
                                   place=f"{found[0].code} ({found[0].name_zh})",
                                   within=f"{within.code} ({within.name_zh})"))],
            source="location")
    return inside[0]
