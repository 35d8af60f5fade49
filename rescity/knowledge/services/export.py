"""Export of the knowledge base (JSON for round-trips, CSV for spreadsheets).

CSV cells that a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) are written with a leading apostrophe, so opening an export can never run
what someone typed into a record (CSV/formula injection).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.knowledge.adapters.orm import City, CityProfile, Initiative
from rescity.knowledge.domain.model import Status
from rescity.knowledge.domain.provenance import document_name
from rescity.knowledge.services.versions import snapshot

EXPORT_FORMAT = "rescity-knowledge"
EXPORT_VERSION = 1
CSV_COLUMNS = [
    "key",
    "city",
    "city_en",
    "city_zh",
    "country",
    "year",
    "status",
    "version",
    "title_en",
    "title_zh",
    "abstract_en",
    "abstract_zh",
    "key_measures_en",
    "outcomes_en",
    "figures",
    "tags",
    "source_document",
    "last_verified",
]


def _profile_dict(p: CityProfile) -> dict[str, Any]:
    return {
        "year": p.year,
        "population": p.population,
        "land_area_km2": p.land_area_km2,
        "gdp_per_capita": p.gdp_per_capita,
        "gdp_currency": p.gdp_currency,
        "gdp_year": p.gdp_year,
        "growth_rate_pct": p.growth_rate_pct,
        "prosperity": list(p.prosperity or []),
        "stated_density": p.stated_density,
        "density": p.density,
        "scope_note": p.scope_note,
        "source": document_name(p.source),
        "notes": dict(p.notes or {}),
    }


def initiative_dict(item: Initiative) -> dict[str, Any]:
    data = {
        "key": item.key,
        **snapshot(item),
        "status": item.status,
        "version": item.version,
        "source_document": document_name(item.source_document),
        "last_verified": item.last_verified.isoformat() if item.last_verified else None,
    }
    return data


def export_data(session: Session, *, include_unpublished: bool = False) -> dict[str, Any]:
    stmt = select(Initiative).order_by(Initiative.key)
    if not include_unpublished:
        stmt = stmt.where(Initiative.status == str(Status.PUBLISHED))
    items = list(session.scalars(stmt))
    city_ids = {i.city_id for i in items}
    cities = list(session.scalars(select(City).where(City.id.in_(city_ids)).order_by(City.key)))
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "cities": [
            {
                "key": c.key,
                "name_en": c.name_en,
                "name_zh": c.name_zh,
                "country": c.country,
                "lat": c.lat,
                "lon": c.lon,
                "profiles": [_profile_dict(p) for p in c.profiles],
            }
            for c in cities
        ],
        "initiatives": [initiative_dict(i) for i in items],
    }


def export_json(session: Session, *, include_unpublished: bool = False) -> str:
    return json.dumps(
        export_data(session, include_unpublished=include_unpublished), ensure_ascii=False, indent=2
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: strings that start like a formula get a
    leading apostrophe; numbers and other values are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def rows_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """Rows as CSV (safe cells; lists and dicts as JSON), with the given or all columns."""
    if columns is None:
        columns = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: safe_cell(json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
                for k, v in row.items()
            }
        )
    return buf.getvalue()


def export_csv(session: Session, *, include_unpublished: bool = False) -> str:
    data = export_data(session, include_unpublished=include_unpublished)
    cities = {c["key"]: c for c in data["cities"]}
    rows = []
    for item in data["initiatives"]:
        city = cities.get(item["city"], {})
        rows.append(
            {
                **item,
                "city_en": city.get("name_en", ""),
                "city_zh": city.get("name_zh", ""),
                "country": city.get("country", ""),
                "key_measures_en": "\n".join(item["key_measures_en"]),
                "figures": json.dumps(item["figures"], ensure_ascii=False),
                "tags": ";".join(item["tags"]),
            }
        )
    return rows_csv(rows, CSV_COLUMNS)
