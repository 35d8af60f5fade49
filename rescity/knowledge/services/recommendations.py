"""Attach an assessment to a city, and recommend initiatives for its measured gaps.

Initiatives are ranked for each gap by how directly they address it (outcomes, then key
measures, then text, then shared tags only; see :mod:`rescity.knowledge.domain.gaps`), then
by the similarity of the two cities' sizes. Every recommendation states the assessed area.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import DataFileError, NotFound
from rescity.core.security.policy import Principal, require
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.orm import Assessment, City, Initiative
from rescity.knowledge.domain.assessment import read_summary
from rescity.knowledge.domain.gaps import (
    ConceptFinder,
    Directness,
    Gap,
    concepts_for,
    directness,
    measured_gaps,
)
from rescity.knowledge.domain.model import Status
from rescity.knowledge.domain.thesaurus import concept_ids
from rescity.knowledge.services.catalogue import get_city

CONTEXT_WEIGHT = 0.1  # below the smallest step between directness levels: only a tie-break
# The search thesaurus' concept finder (text → concept ids): a gap and an initiative meet on
# the same concept in either language; data/gap_concepts.toml names each gap's concepts.
FIND_CONCEPTS: ConceptFinder | None = concept_ids


def _city(session: Session, key: str) -> City:
    city = get_city(session, key)
    if city is None:
        raise NotFound(f"no city '{key}'")
    return city


def attach_assessment(
    uow: UnitOfWork, principal: Principal | None, city_key: str, path: Path
) -> Assessment:
    """Attach an assess summary.json to a city profile (replacing an older one)."""
    if principal is not None:
        require(principal, "knowledge.city.update")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(str(path), "file not found") from None
    except json.JSONDecodeError as exc:
        raise DataFileError(str(path), f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    return attach_summary(uow, principal, city_key, data, source=str(path))


def attach_summary(
    uow: UnitOfWork, principal: Principal | None, city_key: str, data: Any, *, source: str
) -> Assessment:
    """Attach a decoded summary (API and page upload go through here too)."""
    if principal is not None:
        require(principal, "knowledge.city.update")
    try:
        summary = read_summary(data)
    except ValueError as exc:
        raise DataFileError(source, str(exc)) from None
    measured = measured_gaps(data if isinstance(data, dict) else {})
    session = uow.session
    city = _city(session, city_key)
    row = session.scalar(select(Assessment).where(Assessment.city_id == city.id))
    if row is None:
        row = Assessment(city_id=city.id)
        session.add(row)
    row.source = source[:500]
    row.indices = summary.medians
    row.low_shares = summary.low_shares
    row.area = measured.area
    row.population = measured.population
    row.missing_items = sorted(g.key for g in measured.gaps if g.how == "missing")
    row.item_coverage = {
        g.key: {g.reach: round(1 - g.severity, 6)} for g in measured.gaps if g.how == "beyond"
    }
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.assessment.attach",
        record_type="city",
        record_id=city.key,
        detail={
            "indices": sorted(summary.medians),
            "area": measured.area,
            "gaps": [g.key for g in measured.gaps],
        },
    )
    uow.commit()
    return row


def stored_gaps(row: Assessment) -> list[Gap]:
    """The gaps of an attached assessment, most severe first (never the composite)."""
    data: dict[str, Any] = {
        "indices": {k: {"share_low": v} for k, v in (row.low_shares or {}).items()},
        "missing_items": list(row.missing_items or []),
        "coverage": dict(row.item_coverage or {}),
    }
    return measured_gaps(data).gaps


@dataclass
class Recommendation:
    initiative: Initiative
    gap: Gap
    directness: Directness
    context: float | None
    score: float
    reason: str
    area: str

    @property
    def index(self) -> str:
        return self.gap.key

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "initiative": self.initiative.key,
            "title": self.initiative.title(lang),
            "city": self.initiative.city.key,
            "gap": self.gap.as_dict(),
            "assessed_area": self.area,
            "directness": self.directness.level,
            "directness_value": self.directness.value,
            "evidence": self.directness.evidence,
            "context_similarity": None if self.context is None else round(self.context, 4),
            "score": round(self.score, 4),
            "reason": self.reason,
        }


def _size_similarity(a: City, b: City) -> float | None:
    if not a.population or not b.population:
        return None
    return 1.0 / (1.0 + abs(math.log10(a.population) - math.log10(b.population)))


REASON = {
    "en": "{city}, assessed area {area} (not necessarily the whole city): {gap}, {measured}. "
    "{level} {evidence}",
    "zh": "{city}（评估范围：{area}，不一定是全市）{gap}：{measured}。{level}{evidence}",
}
LEVEL = {
    "outcome": {"en": "Its outcomes address it:", "zh": "其成效直接针对此项："},
    "measure": {"en": "Its key measures address it:", "zh": "其主要措施针对此项："},
    "text": {"en": "Its description mentions it:", "zh": "其介绍提及此项："},
    "tags": {"en": "It only shares themes:", "zh": "仅主题相同："},
}


def recommend(
    session: Session, city_key: str, *, lang: str = "en", limit: int = 10
) -> list[Recommendation]:
    """For each measured gap of the city, the initiatives elsewhere that address it."""
    city = _city(session, city_key)
    row = session.scalar(select(Assessment).where(Assessment.city_id == city.id))
    if row is None:
        raise NotFound(f"no assessment attached to '{city_key}' (rescity kb attach-assessment)")
    gaps = stored_gaps(row)
    items = list(
        session.scalars(
            select(Initiative).where(
                Initiative.status == str(Status.PUBLISHED), Initiative.city_id != city.id
            )
        )
    )
    best: dict[str, Recommendation] = {}
    lang = "zh" if lang == "zh" else "en"
    for gap in gaps:
        concept = concepts_for(gap.key)
        if concept is None:
            continue
        for item in items:
            figures = " ".join(str(f.get("indicator", "")) for f in item.figures or [])
            d = directness(
                concept,
                outcomes=f"{item.outcomes_en}\n{item.outcomes_zh}\n{figures}",
                measures=[*item.key_measures_en, *item.key_measures_zh],
                text=" ".join(
                    (
                        item.title_en,
                        item.title_zh,
                        item.abstract_en,
                        item.abstract_zh,
                        item.summary_en,
                        item.summary_zh,
                    )
                ),
                codes=set(item.tag_codes),
                find=FIND_CONCEPTS,
            )
            if d.value <= 0:
                continue
            ctx = _size_similarity(city, item.city)
            score = gap.severity * d.value + CONTEXT_WEIGHT * (ctx or 0.0)
            reason = REASON[lang].format(
                gap=gap.label(lang),
                area=row.area or "?",
                city=city.name(lang),
                measured=gap.measured(lang),
                level=LEVEL[d.level][lang],
                evidence=d.evidence,
            )
            rec = Recommendation(item, gap, d, ctx, score, reason, row.area)
            if item.key not in best or score > best[item.key].score:
                best[item.key] = rec
    return sorted(best.values(), key=lambda r: (-r.score, r.initiative.key))[:limit]
