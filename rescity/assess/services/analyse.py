"""One city's follow-up analyses after the assessment: gaps, siting and 2SFCA, together.

Origins are snapped once and shared by siting and the catchment, so a report's analyses
agree with each other and the work is not repeated per item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rescity.assess.adapters.result_store import CityResult
from rescity.assess.domain.analysis import AnalysisConfig, build_analysis
from rescity.assess.services.catchment import GroupAccess, catchment_access, catchment_table
from rescity.assess.services.siting import (
    ItemGap,
    SitingResult,
    item_gaps,
    site_facilities,
    snap_origins,
)


@dataclass
class CityAnalysis:
    city: CityResult
    gaps: list[ItemGap]
    sitings: list[SitingResult]
    catchment: dict[str, GroupAccess]

    def to_json(self) -> dict[str, Any]:
        """Everything but the big arrays, JSON-ready (for report.json and the web API)."""
        return {
            "city": self.city.name,
            "summary": self.city.summary,
            "gaps": [g.__dict__ for g in self.gaps],
            "siting": [siting_json(s) for s in self.sitings],
            "catchment": catchment_table(self.catchment),
        }


def siting_json(s: SitingResult) -> dict[str, Any]:
    return {
        "item": s.item, "threshold": s.threshold, "distance_m": s.distance_m,
        "uncovered_population": s.uncovered_population,
        "uncovered_origins": s.uncovered_origins, "candidates": s.candidates,
        "greedy_covered": s.greedy.covered,
        "exact_covered": s.exact.covered if s.exact else None,
        "greedy_ratio": s.greedy_ratio,
        "sites": s.sites.to_dict(orient="records"),
    }


def analyse_city(
    city: CityResult, analysis: AnalysisConfig | None = None, *,
    items: Sequence[str] | None = None, k: int | None = None,
) -> CityAnalysis:
    """Gaps for every Table-2 item, sites for ``items`` (default from the analysis config),
    and 2SFCA ratios for the configured groups."""
    analysis = analysis or build_analysis()
    osnap = snap_origins(city)
    chosen = list(items) if items is not None else list(analysis.siting.items)
    sitings = [site_facilities(city, item, k, analysis=analysis, origin_snap=osnap)
               for item in chosen]
    return CityAnalysis(city, item_gaps(city, analysis), sitings,
                        catchment_access(city, analysis, osnap))
