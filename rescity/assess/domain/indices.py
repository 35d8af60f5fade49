"""Index formulas, per origin, on plain arrays (see docs/assess/method.md).

Every score is normalised against a fixed, stated standard from the config (a target count,
an area, a density), never against a city's own minimum and maximum, so that the same value
means the same thing in every city.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rescity.assess.domain.config import AssessConfig

F64 = npt.NDArray[np.float64]

INDEX_NAMES = ("life_service", "disaster", "transport", "environment", "health_resilience")
TRANSPORT_MAX = 3.0  # rail + bus + connectivity, each 0..1


@dataclass
class ReachView:
    """What the index formulas need, in plain arrays.

    ``nearest[o, i]`` metres to the nearest facility of item ``i`` (inf if none in reach);
    ``count_within(i, d)`` facilities of item ``i`` within ``d`` metres (``d`` must be one of
    ``distances``); ``open_area``/``green_near``/``park_near`` m² of the slots reached within the
    stated distance; ``green_per_capita`` m² per person from the two-step catchment method;
    ``intersection_density`` per km² around the origin.
    """

    item_ids: Sequence[str]
    distances: F64
    counts: npt.NDArray[np.uint16] | npt.NDArray[np.int32]
    nearest: F64
    open_area: F64
    green_near: F64
    park_near: F64
    green_per_capita: F64
    intersection_density: F64

    def col(self, item: str) -> int:
        return list(self.item_ids).index(item)

    def count_within(self, item: str, distance: float) -> F64:
        k = int(np.flatnonzero(np.isclose(self.distances, distance))[0])
        out: F64 = self.counts[:, self.col(item), k].astype(np.float64)
        return out


def item_scores(view: ReachView, config: AssessConfig) -> dict[str, F64]:
    """Per Table-2 item a 0..1 score: presence, tiered or distance-decay (config mode)."""
    thr = config.thresholds.distances_m
    ls = config.life_service
    out: dict[str, F64] = {}
    for item in ls.weights:
        d = view.nearest[:, view.col(item)]
        if ls.mode == "presence":
            s = (d <= thr[-1]).astype(np.float64)
        elif ls.mode == "tiered":
            s = np.zeros(len(d))
            for k in range(len(thr) - 1, -1, -1):
                score = ls.tier_scores[k] if k < len(ls.tier_scores) else ls.tier_scores[-1]
                s = np.where(d <= thr[k], score, s)
        else:
            span = max(thr[-1] - thr[0], 1e-9)
            s = np.clip((thr[-1] - d) / span, 0.0, 1.0)
            s = np.where(d <= thr[0], 1.0, s)
        out[item] = s
    return out


def life_service(view: ReachView, config: AssessConfig) -> F64:
    """Σ w_i s_i / Σ w_i over the Table 2 items; 0..1."""
    weights = config.life_service.weights
    scores = item_scores(view, config)
    total = sum(weights.values()) or 1.0
    out: F64 = sum((w * scores[i] for i, w in weights.items()), np.zeros(len(view.nearest)))
    return out / total


def _saturating(view: ReachView, targets: dict[str, float], distance: float) -> F64:
    if not targets:
        return np.zeros(len(view.nearest))
    parts = [np.minimum(view.count_within(i, distance) / t, 1.0) for i, t in targets.items()]
    out: F64 = np.mean(parts, axis=0)
    return out


def disaster_parts(view: ReachView, config: AssessConfig) -> dict[str, F64]:
    """Sub-indices medical, supply, shelter, open_space; each 0..1."""
    dc = config.disaster
    reach = config.thresholds.distances_m[-1]
    return {
        "medical": _saturating(view, dc.targets.get("medical", {}), reach),
        "supply": _saturating(view, dc.targets.get("supply", {}), reach),
        "shelter": _saturating(view, dc.targets.get("shelter", {}), reach),
        "open_space": np.minimum(view.open_area / dc.open_space_target_m2, 1.0),
    }


def disaster(parts: dict[str, F64], config: AssessConfig) -> F64:
    w = config.disaster.sub_weights
    total = sum(w.values()) or 1.0
    out: F64 = sum((wt * parts[k] for k, wt in w.items()), np.zeros_like(parts["medical"]))
    return out / total


def transport_parts(view: ReachView, config: AssessConfig) -> dict[str, F64]:
    tc = config.transport
    return {
        "rail": np.minimum(view.count_within("rail_station", tc.rail_distance_m) / tc.rail_target,
                           1.0),
        "bus": np.minimum(view.count_within("bus_stop", tc.bus_distance_m) / tc.bus_target, 1.0),
        "connectivity": np.minimum(
            view.intersection_density / tc.intersection_density_target_per_km2, 1.0),
    }


def environment(view: ReachView, config: AssessConfig) -> F64:
    ec = config.environment
    per_capita = np.minimum(view.green_per_capita / ec.per_capita_standard_m2, 1.0)
    near = (view.green_near > 0).astype(np.float64)
    park = (view.park_near > 0).astype(np.float64)
    total = (ec.w_per_capita + ec.w_near_green + ec.w_park) or 1.0
    out: F64 = (ec.w_per_capita * per_capita + ec.w_near_green * near + ec.w_park * park) / total
    return out


def compute_indices(view: ReachView, config: AssessConfig) -> dict[str, F64]:
    """Every index and sub-index, one array per name (all origins, snapped or not)."""
    dparts = disaster_parts(view, config)
    tparts = transport_parts(view, config)
    out = {
        "life_service": life_service(view, config),
        "disaster": disaster(dparts, config),
        "transport": tparts["rail"] + tparts["bus"] + tparts["connectivity"],
        "environment": environment(view, config),
    }
    cc = config.composite
    weights = {"life_service": cc.life_service, "disaster": cc.disaster,
               "transport": cc.transport, "environment": cc.environment}
    scaled = dict(out, transport=out["transport"] / TRANSPORT_MAX)
    total = sum(weights.values()) or 1.0
    out["health_resilience"] = sum(
        (w * scaled[k] for k, w in weights.items()), np.zeros(len(view.nearest))
    ) / total
    out |= {f"disaster_{k}": v for k, v in dparts.items()}
    out |= {f"transport_{k}": v for k, v in tparts.items()}
    return out
