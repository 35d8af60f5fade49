"""Population-weighted city statistics: what a city's residents experience, not its blocks.

The weighted quantile is the inverse of the weighted empirical CDF (the smallest value whose
cumulative population share reaches q), so a median is a value some residents actually have.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def weighted_quantile(values: F64, weights: F64, q: float) -> float:
    """Smallest value v with (population at or below v) ≥ q × total population."""
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return float("nan")
    v, w = values[ok], weights[ok]
    order = np.argsort(v, kind="stable")
    v, cum = v[order], np.cumsum(w[order])
    k = int(np.searchsorted(cum, q * cum[-1] - 1e-12 * cum[-1], side="left"))
    return float(v[min(k, len(v) - 1)])


def describe(values: F64, weights: F64, low: float) -> dict[str, float]:
    """Median, quartiles, mean, min, max and the population share strictly below ``low``."""
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        nan = float("nan")
        return {"median": nan, "q1": nan, "q3": nan, "mean": nan, "min": nan, "max": nan,
                "share_low": nan, "low": low}
    v, w = values[ok], weights[ok]
    return {
        "median": weighted_quantile(v, w, 0.5),
        "q1": weighted_quantile(v, w, 0.25),
        "q3": weighted_quantile(v, w, 0.75),
        "mean": float(np.average(v, weights=w)),
        "min": float(v.min()),
        "max": float(v.max()),
        "share_low": float(w[v < low].sum() / w.sum()),
        "low": low,
    }


def coverage(nearest: F64, weights: F64, distances: Sequence[float]) -> list[float]:
    """Share of residents (0..1) with the item within each distance."""
    ok = np.isfinite(weights) & (weights > 0)
    total = float(weights[ok].sum())
    if total <= 0:
        return [float("nan")] * len(distances)
    return [float(weights[ok & (nearest <= d)].sum() / total) for d in distances]


def city_summary(
    indices: Mapping[str, F64], lows: Mapping[str, float], population: F64,
    snapped: npt.NDArray[np.bool_], item_nearest: Mapping[str, F64],
    distances: Sequence[float], labels: Sequence[str], facility_counts: Mapping[str, int],
) -> dict[str, Any]:
    """The per-city summary: index statistics, item coverage, missing items."""
    w = np.where(snapped, population, 0.0)
    return {
        "origins": len(population),
        "origins_unsnapped": int((~snapped).sum()),
        "population": float(population.sum()),
        "population_unsnapped": float(population[~snapped].sum()),
        "indices": {k: describe(v, w, lows.get(k, float("nan"))) for k, v in indices.items()},
        "coverage": {
            item: dict(zip(labels, coverage(d, w, distances), strict=True))
            for item, d in item_nearest.items()
        },
        "facility_counts": dict(facility_counts),
        "missing_items": sorted(k for k, n in facility_counts.items() if n == 0),
    }
