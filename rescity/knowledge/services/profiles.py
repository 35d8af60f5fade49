"""City profiles: gazetteer facts for every partner, editor changes with provenance.

Each profile field carries its source in ``City.provenance``: the gazetteer record it came
from, the seed document, or the editor who changed it. Gazetteer data never overwrites a
field an editor set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.security.policy import Principal, require
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters import geonames
from rescity.knowledge.adapters.orm import City
from rescity.knowledge.domain.gazetteer import find_city, known_cities

EDITABLE = ("population", "lat", "lon", "timezone", "level", "name_en", "name_zh", "country")
LEVELS = ("city", "new_area", "development_zone", "municipal_union", "county", "region")


def _edited(city: City, name: str) -> bool:
    return str((city.provenance or {}).get(name, "")).startswith("editor ")


def fill_from_gazetteer(city: City) -> None:
    """Population, coordinates, time zone and level from the pinned GeoNames record.

    A region, county or new area takes coordinates and time zone from its seat; its
    population stays unknown (the seat's is not the region's).
    """
    known = known_cities().get(city.key) or find_city(city.name_en or city.name_zh)
    if known is None:
        return
    prov = dict(city.provenance or {})
    table = "data/cities.toml"
    if known.level and not _edited(city, "level"):
        city.level = known.level
        prov["level"] = table
    pinned = known.geonames or known.seat
    rec = geonames.record(pinned) if pinned else None
    if rec is None:
        city.provenance = prov
        return
    as_seat = known.geonames is None
    src = rec.source + (f" (seat: {rec.name})" if as_seat else "")
    if not _edited(city, "lat"):
        city.lat, city.lon = round(rec.lat, 5), round(rec.lon, 5)
        prov["lat"] = prov["lon"] = src
    if not _edited(city, "timezone"):
        city.timezone = rec.timezone
        prov["timezone"] = src
    if not as_seat and not _edited(city, "population"):
        city.population = rec.population
        city.geonames_id = rec.geonames_id
        prov["population"] = src
    city.provenance = prov


@dataclass
class ProfileChange:
    field: str
    value: Any


def update_profile(
    uow: UnitOfWork,
    principal: Principal,
    key: str,
    changes: dict[str, Any],
    *,
    source: str,
) -> City:
    """An editor corrects or completes a profile; each changed field records who and why."""
    require(principal, "knowledge.city.update")
    problems: list[Problem] = []
    if not source.strip():
        problems.append(Problem("source", "say where the figure comes from"))
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in EDITABLE:
            problems.append(Problem(name, f"not an editable profile field ({', '.join(EDITABLE)})"))
        elif name == "population":
            if value is not None and (not isinstance(value, int) or value <= 0):
                problems.append(Problem(name, "a positive whole number, or null for unknown"))
            clean[name] = value
        elif name in ("lat", "lon"):
            limit = 90 if name == "lat" else 180
            if not isinstance(value, int | float) or not -limit <= value <= limit:
                problems.append(Problem(name, f"a number between -{limit} and {limit}"))
            clean[name] = float(value) if isinstance(value, int | float) else value
        elif name == "level" and value not in LEVELS:
            problems.append(Problem(name, f"one of {', '.join(LEVELS)}"))
        else:
            clean[name] = str(value).strip()
            if name == "level":
                clean[name] = value
    if problems:
        raise InputError(problems, source=f"city {key}")
    session = uow.session
    city = session.scalar(select(City).where(City.key == key))
    if city is None:
        raise NotFound(f"no city '{key}'")
    prov = dict(city.provenance or {})
    stamp = datetime.now(UTC).date().isoformat()
    for name, value in clean.items():
        setattr(city, name, value)
        prov[name] = f"editor {principal.username} {stamp}: {source.strip()}"[:300]
    city.provenance = prov
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.city.update",
        record_type="city",
        record_id=city.key,
        detail={"fields": sorted(clean), "source": source.strip()},
    )
    uow.commit()
    return city


def backfill(session: Session) -> int:
    """Fill gazetteer fields of every stored city (after an upgrade); returns how many."""
    n = 0
    for city in session.scalars(select(City)):
        fill_from_gazetteer(city)
        n += 1
    return n
