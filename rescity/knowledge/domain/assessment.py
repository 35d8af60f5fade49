"""A tolerant reader of `rescity assess` city summaries, and the recommendation rule.

The assess module is built in parallel, so the reader accepts several shapes and keeps only
what it understands (docs/knowledge/recommendations.md lists the fields used)::

    {"city": "...", "indices": {"life_service": {"median": 0.41, "low_share": 0.3}, ...}}
    {"life_service": {"median": 0.41}, "transport": 1.12, ...}
    {"summary": [{"index": "transport", "median": 1.1}, ...]}

Index names are normalised ("Life-service index" → ``life_service``; known aliases such as
``transport_resilience`` → ``transport``). Anything else is reported, not guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from rescity.knowledge.domain.taxonomy import read_data

ALIASES = {
    "life_service": "life_service",
    "life_services": "life_service",
    "life_circle": "life_service",
    "living_service": "life_service",
    "disaster": "disaster_prevention",  # the key `rescity assess` writes
    "disaster_prevention": "disaster_prevention",
    "disaster_epidemic_prevention": "disaster_prevention",
    "disaster_and_epidemic_prevention": "disaster_prevention",
    "epidemic_prevention": "disaster_prevention",
    "transport": "transport",
    "transport_resilience": "transport",
    "traffic_resilience": "transport",
    "environment": "environment",
    "environmental_resilience": "environment",
    "environmental": "environment",
    "green_space": "environment",
    "health_resilience": "health_resilience",
    "composite": "health_resilience",
    "health": "health_resilience",
}
_CONTAINERS = ("indices", "index", "summary", "medians", "scores", "cities")


@dataclass
class AssessmentSummary:
    city: str = ""
    medians: dict[str, float] = field(default_factory=dict)
    low_shares: dict[str, float] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def normalise_index(name: str) -> str | None:
    key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    key = re.sub(r"_(index|score|median)$", "", key)
    return ALIASES.get(key)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def read_summary(data: Any) -> AssessmentSummary:
    """Read what can be read from a decoded summary.json; raises ValueError if nothing."""
    out = AssessmentSummary()
    if isinstance(data, dict):
        out.city = str(data.get("city") or data.get("name") or "")
        body: Any = next((data[k] for k in _CONTAINERS if k in data), data)
    else:
        body = data
    rows: list[tuple[str, Any]] = []
    if isinstance(body, dict):
        rows = list(body.items())
    elif isinstance(body, list):
        for row in body:
            if isinstance(row, dict) and ("index" in row or "name" in row):
                rows.append((str(row.get("index") or row.get("name")), row))
    for name, value in rows:
        if name in ("city", "name", "generated_at", "version", "crs", "thresholds"):
            continue
        key = normalise_index(str(name))
        if key is None:
            out.ignored.append(str(name))
            continue
        median = _number(value)
        low = None
        if isinstance(value, dict):
            median = _number(value.get("median", value.get("p50", value.get("value"))))
            low = _number(value.get("low_share", value.get("share_low")))
        if median is None:
            out.ignored.append(str(name))
            continue
        out.medians[key] = median
        if low is not None:
            out.low_shares[key] = low
    if not out.medians:
        raise ValueError(
            "no index medians found (expected e.g. life_service, transport, "
            "disaster_prevention, environment)"
        )
    return out


def index_themes() -> dict[str, list[str]]:
    data: dict[str, list[str]] = read_data("assessment_themes.toml")["index"]
    return data


def index_label(name: str, lang: str) -> str:
    labels = read_data("assessment_themes.toml")["label"]
    return str(labels.get(name, {}).get(lang, name))


def weakest(medians: dict[str, float], references: dict[str, float], *, k: int = 2) -> list[str]:
    """The ``k`` indices with the lowest ratio to their reference (the median over all
    assessed cities), or the lowest raw medians when no reference is known."""

    def ratio(name: str) -> float:
        ref = references.get(name)
        return medians[name] / ref if ref else medians[name]

    ranked = sorted((n for n in medians if n in index_themes()), key=lambda n: (ratio(n), n))
    return ranked[:k]
