"""The small reference table of city names (``data/cities.toml``): en ↔ zh, country, centre."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rescity.knowledge.domain.model import CityData, slugify
from rescity.knowledge.domain.taxonomy import read_data


@dataclass(frozen=True)
class KnownCity:
    key: str
    en: str
    zh: str
    country: str
    lat: float
    lon: float
    aliases: tuple[str, ...] = ()
    level: str = ""
    geonames: int | None = None  # the GeoNames record of the city itself
    seat: int | None = None  # the record of the seat of a region, county or new area

    def data(self) -> CityData:
        return CityData(self.key, self.en, self.zh, self.country, self.lat, self.lon)


@cache
def known_cities() -> dict[str, KnownCity]:
    rows = read_data("cities.toml")["city"]
    return {
        r["key"]: KnownCity(
            r["key"],
            r["en"],
            r["zh"],
            r["country"],
            float(r["lat"]),
            float(r["lon"]),
            tuple(r.get("aliases", ())),
            str(r.get("level", "")),
            int(r["geonames"]) if "geonames" in r else None,
            int(r["seat"]) if "seat" in r else None,
        )
        for r in rows
    }


@cache
def _index() -> dict[str, KnownCity]:
    idx: dict[str, KnownCity] = {}
    for city in known_cities().values():
        for name in (city.en, city.zh, city.key, *city.aliases):
            idx[name.casefold()] = city
            idx[slugify(name)] = city
    return idx


def find_city(name: str) -> KnownCity | None:
    """The known city with this English, Chinese or alias name (case-insensitive)."""
    name = name.strip()
    return _index().get(name.casefold()) or (_index().get(slugify(name)) if slugify(name) else None)


def country_info(code: str) -> dict[str, str]:
    info: dict[str, str] = read_data("cities.toml")["country"].get(code, {})
    return info


def region_of(country: str) -> str:
    """ "cn" or "eu" (or "" when unknown): used by the matching's other-region filter."""
    return country_info(country).get("region", "")


def city_data(name_en: str, *, country: str = "") -> CityData:
    """CityData for a name, enriched from the table when the city is known."""
    known = find_city(name_en)
    if known is not None:
        return known.data()
    return CityData(slugify(name_en), name_en.strip(), "", country)
