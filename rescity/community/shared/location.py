"""Where a report with coordinates belongs: the innermost place whose boundary contains it.

Cases, Open311 requests and help requests call :func:`place_of_point`. A deployment that has
loaded no boundary at all (``rescity places import``) keeps the place the caller was given:
coordinates are then stored but do not move the report, as before boundaries existed.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core.boundaries import require_inside
from rescity.core.errors import InputError, Problem
from rescity.core.i18n import Translator
from rescity.core.places import Place


def has_boundaries(session: Session) -> bool:
    """True once any place of the deployment has a boundary."""
    return session.scalar(select(Place.id).where(Place.boundary.is_not(None)).limit(1)) is not None


def place_of_point(
    session: Session, lat: float | None, lon: float | None, *, within: Place | None = None,
    field: str = "lat/long", t: Translator | None = None,
) -> Place | None:
    """The innermost place containing (lat, lon), inside ``within`` when given; ``None`` when
    there are no coordinates or no boundaries are loaded. A point outside every boundary, or
    outside ``within``, is an :class:`InputError` on ``field`` (which names the coordinates
    the client sent)."""
    if lat is None or lon is None or not has_boundaries(session):
        return None
    try:
        return require_inside(session, lon, lat, within=within, t=t)
    except InputError as exc:
        raise InputError([Problem(field, p.message) for p in exc.problems],
                         source="location") from None


def form_point(lat: str, lon: str, *, t: Translator) -> tuple[float | None, float | None]:
    """Coordinates from a page's (hidden, optional) ``lat``/``lon`` form fields: both empty
    is no location; one without the other, or text that is not a finite number in range, is
    an :class:`InputError` naming the field."""
    lat, lon = lat.strip(), lon.strip()
    if not lat and not lon:
        return None, None
    problems: list[Problem] = []
    values: dict[str, float] = {}
    for name, text, limit, key in (("lat", lat, 90.0, "places.locate.bad_lat"),
                                   ("lon", lon, 180.0, "places.locate.bad_lon")):
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (-limit <= value <= limit):  # also false for NaN
            problems.append(Problem(name, t(key)))
        values[name] = value
    if problems:
        raise InputError(problems, source="location")
    return values["lat"], values["lon"]
