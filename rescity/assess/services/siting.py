"""Gaps and siting: who lacks an item within the life circle, and where new sites help most.

A resident is *uncovered* for an item when their origin is snapped to the street network but
no facility of the item lies within the threshold (the 15-minute walk by default). Siting
places ``k`` new facilities on candidate network nodes so as to cover the most uncovered
residents (maximal covering location problem): lazy greedy always, the exact integer
programme as well on instances small enough to solve, to show how close greedy is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj

from rescity.assess.adapters.result_store import CityResult
from rescity.assess.domain.analysis import AnalysisConfig, build_analysis
from rescity.assess.domain.siting import Coverage, SitingSolution, exact_mclp, greedy_mclp
from rescity.assess.network.pairs import node_points, pairs_within
from rescity.assess.network.snap import Snapped, Snapper
from rescity.core.errors import InputError, Problem

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
BoolArr = npt.NDArray[np.bool_]


def gap_distance(city: CityResult, analysis: AnalysisConfig) -> tuple[str, float]:
    """(label, metres) of the threshold within which an item counts as covered."""
    th = city.config.thresholds
    label = analysis.gaps.threshold or th.labels[-1]
    if label not in th.labels:
        raise InputError([Problem("analysis: key 'gaps.threshold'",
                                  f"unknown threshold {label!r}; known: {th.labels}")])
    return label, th.distances_m[th.labels.index(label)]


def _population(city: CityResult) -> F64:
    pop: F64 = city.origins["population"].to_numpy(np.float64)
    return np.where(np.isfinite(pop), pop, 0.0)


def _snapped(city: CityResult) -> BoolArr:
    out: BoolArr = city.origins["snapped"].to_numpy(bool)
    return out


def uncovered(city: CityResult, item: str, distance: float) -> BoolArr:
    """Snapped origins without the item within ``distance`` metres."""
    col = f"d_{item}"
    if col not in city.origins.columns:
        raise InputError([Problem(f"item {item!r}", "unknown facility item; known: "
                                  + ", ".join(city.taxonomy.ids))])
    near = city.origins[col].to_numpy(np.float64)
    reached = np.isfinite(near) & (near <= distance)
    out: BoolArr = _snapped(city) & ~reached
    return out


@dataclass(frozen=True)
class ItemGap:
    item: str
    zh: str
    en: str
    uncovered_population: float
    uncovered_share: float
    uncovered_origins: int


def item_gaps(city: CityResult, analysis: AnalysisConfig | None = None) -> list[ItemGap]:
    """Per Table-2 item (the life-service weights): residents without it in the life circle."""
    analysis = analysis or build_analysis()
    _, dist = gap_distance(city, analysis)
    pop = _population(city)
    total = float(pop[_snapped(city)].sum()) or 1.0
    by_id = {it.id: it for it in city.taxonomy.items}
    out = []
    for item in city.config.life_service.weights:
        mask = uncovered(city, item, dist)
        out.append(ItemGap(item, by_id[item].zh, by_id[item].en, float(pop[mask].sum()),
                           float(pop[mask].sum()) / total, int(mask.sum())))
    return out


def snap_origins(city: CityResult) -> Snapped:
    """Origins snapped again to the rebuilt network (the engine's rule and distance)."""
    snapper = Snapper(city.network)
    return snapper.snap(city.origins["x"].to_numpy(np.float64),
                        city.origins["y"].to_numpy(np.float64), city.config.network.max_snap_m)


@dataclass
class SitingResult:
    """Proposed sites (table in greedy order), the solutions, and the instance's size."""

    item: str
    threshold: str
    distance_m: float
    uncovered_population: float
    uncovered_origins: int
    candidates: int
    sites: pd.DataFrame
    greedy: SitingSolution
    exact: SitingSolution | None
    requested: int = 0

    @property
    def shortfall(self) -> str | None:
        """Why fewer sites than requested came back: ``"all_covered"`` (the sites found
        already cover every uncovered resident a site can reach and nobody is left),
        ``"unreachable"`` (the residents left are beyond walking distance of every
        candidate node), or None when all ``requested`` sites were proposed."""
        if len(self.sites) >= self.requested:
            return None
        if self.greedy.covered >= self.uncovered_population - 1e-9:
            return "all_covered"
        return "unreachable"

    @property
    def greedy_ratio(self) -> float | None:
        """Greedy coverage ÷ optimum (1.0 = greedy is optimal); None without the exact run."""
        if self.exact is None or self.exact.covered <= 0:
            return None
        return self.greedy.covered / self.exact.covered


@cache
def _to_wgs84(crs: str) -> pyproj.Transformer:
    """One transformer per CRS: making one takes ~0.1 s, once per sited item otherwise."""
    return pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def _dedupe(cov: Coverage) -> tuple[Coverage, I64]:
    """Drop candidates that cover nobody or exactly the same set as a lower-numbered one."""
    seen: dict[bytes, int] = {}
    keep: list[int] = []
    for j in range(cov.n_candidates):
        idx = cov.covered_by(j)
        if len(idx) == 0:
            continue
        key = idx.tobytes()
        if key not in seen:
            seen[key] = j
            keep.append(j)
    kept = np.asarray(keep, dtype=np.int64)
    lens = np.diff(cov.cover_ptr)[kept] if len(kept) else np.zeros(0, np.int64)
    ptr = np.zeros(len(kept) + 1, dtype=np.int64)
    np.cumsum(lens, out=ptr[1:])
    idx = (np.concatenate([cov.covered_by(int(j)) for j in kept]).astype(np.int64)
           if len(kept) else np.zeros(0, np.int64))
    return Coverage(ptr, idx, cov.weight), kept


def coverage_problem(
    city: CityResult, mask: BoolArr, distance: float, analysis: AnalysisConfig,
    origin_snap: Snapped | None = None,
) -> tuple[Coverage, I64]:
    """The MCLP instance: uncovered origins as demand, candidate nodes that reach them.

    Returns the (deduplicated) coverage and, per candidate column, its network node.
    """
    net = city.network
    osnap = origin_snap or snap_origins(city)
    demand = np.flatnonzero(mask & osnap.ok)
    weight = _population(city)[demand]
    nodes = np.flatnonzero(net.degree >= analysis.siting.min_degree).astype(np.int64)
    sub = Snapped(osnap.edge[demand], osnap.offset[demand], osnap.dist[demand])
    pairs = pairs_within(net, sub, np.arange(len(demand)), len(demand), node_points(net, nodes),
                         distance, add_snap_distance=city.config.network.add_snap_distance)
    cov = Coverage.from_pairs(pairs.target, pairs.source, len(nodes), weight)
    cov, kept = _dedupe(cov)
    return cov, nodes[kept]


def site_facilities(
    city: CityResult, item: str, k: int | None = None, *,
    analysis: AnalysisConfig | None = None, exact: bool | None = None,
    origin_snap: Snapped | None = None,
) -> SitingResult:
    """Propose ``k`` new sites for ``item``; ``exact=None`` runs the MILP when it is small."""
    analysis = analysis or build_analysis()
    k = k or analysis.siting.k
    label, dist = gap_distance(city, analysis)
    mask = uncovered(city, item, dist)
    cov, cand_nodes = coverage_problem(city, mask, dist, analysis, origin_snap)
    greedy = greedy_mclp(cov, k)
    sc = analysis.siting
    small = cov.n_candidates <= sc.exact_max_candidates and cov.n_demand <= sc.exact_max_demand
    ex = (exact_mclp(cov, k, time_limit_s=sc.exact_time_limit_s)
          if (exact if exact is not None else small) else None)
    total = float(cov.weight.sum())
    nodes = cand_nodes[greedy.sites] if greedy.sites else np.zeros(0, np.int64)
    net = city.network
    lon, lat = _to_wgs84(net.crs).transform(net.x[nodes], net.y[nodes])
    cum = np.cumsum(greedy.gains) if greedy.gains else np.zeros(0)
    sites = pd.DataFrame({
        "rank": np.arange(1, len(nodes) + 1), "node": nodes,
        "x": net.x[nodes], "y": net.y[nodes], "lon": np.asarray(lon), "lat": np.asarray(lat),
        "gain_population": greedy.gains, "cumulative_population": cum,
        "cumulative_share_of_uncovered": cum / total if total > 0 else np.zeros(len(cum)),
    })
    return SitingResult(item, label, dist, total, int(mask.sum()), cov.n_candidates, sites,
                        greedy, ex, requested=k)
