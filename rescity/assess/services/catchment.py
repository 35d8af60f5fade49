"""Supply-to-demand ratios by two-step floating catchment (2SFCA) for medical and elderly care.

Facilities of each configured group (``catchment.groups``) are snapped by a representative
point (a building's outline would add access points but no capacity), the bounded network
search gives the facility → origin pairs within the catchment, and
:func:`~rescity.assess.domain.catchment.two_step_fca` does the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rescity.assess.adapters.result_store import CityResult
from rescity.assess.domain.analysis import AnalysisConfig, build_analysis
from rescity.assess.domain.catchment import two_step_fca
from rescity.assess.domain.summary import describe
from rescity.assess.network.pairs import pairs_within
from rescity.assess.network.snap import Snapped, Snapper
from rescity.assess.services.siting import snap_origins

F64 = npt.NDArray[np.float64]


@dataclass
class GroupAccess:
    """One group's result: accessibility per origin (per ``per_population`` residents)."""

    group: str
    items: list[str]
    facilities: int
    access: F64
    ratio: F64
    stats: dict[str, float]


def _members(city: CityResult, items: list[str]) -> npt.NDArray[np.int64]:
    wanted = set(items)
    lists = city.facilities["items"].fillna("").astype(str).str.split(";")
    return np.flatnonzero([bool(wanted & set(x)) for x in lists]).astype(np.int64)


def group_access(
    city: CityResult, group: str, items: list[str], analysis: AnalysisConfig,
    origin_snap: Snapped | None = None,
) -> GroupAccess:
    cc = analysis.catchment
    osnap = origin_snap or snap_origins(city)
    fac = _members(city, items)
    pop = city.origins["population"].to_numpy(np.float64)
    pop = np.where(np.isfinite(pop) & osnap.ok, pop, 0.0)
    pts = city.facilities.geometry.values[fac]
    rep = np.array([g.representative_point() for g in pts], dtype=object)
    xs = np.array([p.x for p in rep], dtype=np.float64)
    ys = np.array([p.y for p in rep], dtype=np.float64)
    fsnap = Snapper(city.network).snap(xs, ys, city.config.network.max_snap_m)
    pairs = pairs_within(city.network, fsnap, np.arange(len(fac)), len(fac), osnap,
                         cc.distance_m, add_snap_distance=city.config.network.add_snap_distance)
    supply = np.full(len(fac), cc.supply_per_facility)
    res = two_step_fca(pairs.target, pairs.source, pairs.dist, pop, supply, cc.distance_m,
                       decay=cc.decay)
    access = res.access * cc.per_population
    values = np.where(osnap.ok, access, np.nan)
    stats = describe(values, pop, low=1e-12)
    stats = {k: v for k, v in stats.items() if k != "low"}
    stats["share_none"] = stats.pop("share_low")
    return GroupAccess(group, list(items), len(fac), values, res.ratio * cc.per_population, stats)


def catchment_access(
    city: CityResult, analysis: AnalysisConfig | None = None,
    origin_snap: Snapped | None = None,
) -> dict[str, GroupAccess]:
    """2SFCA for every configured group (medical, elderly care by default)."""
    analysis = analysis or build_analysis()
    osnap = origin_snap or snap_origins(city)
    return {g: group_access(city, g, items, analysis, osnap)
            for g, items in analysis.catchment.groups.items()}


def catchment_table(groups: dict[str, GroupAccess]) -> dict[str, dict[str, Any]]:
    """JSON-ready summary per group."""
    return {g: {"items": a.items, "facilities": a.facilities, **a.stats}
            for g, a in groups.items()}
