"""Importer for files written by ``rescity kb export --format json`` (round-trips)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rescity.core.errors import DataFileError
from rescity.knowledge.adapters.importers.text_lines import read_lines
from rescity.knowledge.domain.model import (
    CityData,
    ImportResult,
    InitiativeData,
    ProfileData,
    Status,
)
from rescity.knowledge.domain.outcomes import figure_from_dict

FORMAT = "json"


def parse(path: Path) -> ImportResult:
    text = "\n".join(line.text for line in read_lines(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(str(path), f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(data, dict) or data.get("format") != "rescity-knowledge":
        raise DataFileError(str(path), "not a rescity knowledge export (format field)", line=1)
    result = ImportResult(source=path.name, format=FORMAT)
    for c in data.get("cities", []):
        result.cities.append(
            CityData(
                c["key"],
                c.get("name_en", ""),
                c.get("name_zh", ""),
                c.get("country", ""),
                c.get("lat"),
                c.get("lon"),
            )
        )
        for p in c.get("profiles", [])[-1:]:
            result.profiles[c["key"]] = _profile(p)
    for n, item in enumerate(data.get("initiatives", [])):
        try:
            result.initiatives.append(_initiative(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFileError(str(path), f"initiatives[{n}]: {exc}") from None
    return result


def _profile(p: dict[str, Any]) -> ProfileData:
    return ProfileData(
        year=p.get("year"),
        population=p.get("population"),
        land_area_km2=p.get("land_area_km2"),
        gdp_per_capita=p.get("gdp_per_capita"),
        gdp_currency=p.get("gdp_currency") or "USD",
        gdp_year=p.get("gdp_year"),
        growth_rate_pct=p.get("growth_rate_pct"),
        prosperity=list(p.get("prosperity") or []),
        stated_density=p.get("stated_density"),
        scope_note=p.get("scope_note") or "",
        source=p.get("source") or "",
        notes=dict(p.get("notes") or {}),
    )


def _initiative(item: dict[str, Any]) -> InitiativeData:
    data = InitiativeData(key=item["key"], city_key=item["city"])
    for name, value in item.items():
        if name.endswith(("_en", "_zh")) and hasattr(data, name):
            setattr(data, name, list(value) if isinstance(value, list) else str(value or ""))
    data.figures = [figure_from_dict(f) for f in item.get("figures", [])]
    data.tags = list(item.get("tags", []))
    data.year = item.get("year")
    data.status = Status(item.get("status", "published"))
    data.source_document = item.get("source_document", "")
    return data
