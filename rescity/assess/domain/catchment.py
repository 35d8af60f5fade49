"""Two-step floating catchment area (2SFCA): supply-to-demand ratios that count competition.

A count of clinics within reach says nothing about whether the clinic is overrun by the
100 000 people who share it. 2SFCA (Luo & Wang 2003) divides each facility's supply among all
the people in its catchment, then sums those shares for each resident:

1. for each facility j: ``R_j = S_j / Σ_{i: d_ij ≤ d0} P_i · W(d_ij)``
2. for each origin i:   ``A_i = Σ_{j: d_ij ≤ d0} R_j · W(d_ij)``

``W`` is 1 inside the catchment for the classic method; ``gaussian`` gives the enhanced
(E2SFCA-like) smooth decay ``exp(-½ (d/d0)²) `` normalised to W(0) = 1 and cut at d0. Result
units: supply units per person (multiply by 1000 for "per 1000 residents").

Inputs are sparse pairs (origin, facility, distance) within the catchment, as produced by a
bounded network search: no dense origin × facility matrix is ever built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

Decay = Literal["step", "gaussian"]


def decay_weight(dist: F64, d0: float, decay: Decay) -> F64:
    """W(d) for d ≤ d0 (0 beyond)."""
    inside = dist <= d0
    w = np.ones(len(dist)) if decay == "step" else np.exp(-0.5 * (dist / d0) ** 2)
    out: F64 = np.where(inside, w, 0.0)
    return out


@dataclass(frozen=True)
class CatchmentResult:
    """``ratio[j]`` supply per person reaching facility j; ``access[i]`` per origin i."""

    ratio: F64
    access: F64
    demand: F64


def two_step_fca(
    origin: I64, facility: I64, dist: F64, population: F64, supply: F64, d0: float,
    *, decay: Decay = "step",
) -> CatchmentResult:
    """Per-origin accessibility ``A_i`` (supply per person) from sparse within-reach pairs.

    A facility that nobody reaches has ratio 0 (its supply serves no resident of the area);
    an origin with no facility in reach has accessibility 0.
    """
    o = np.asarray(origin, np.int64)
    f = np.asarray(facility, np.int64)
    d = np.asarray(dist, np.float64)
    w = decay_weight(d, d0, decay)
    demand: F64 = np.bincount(f, weights=population[o] * w, minlength=len(supply)).astype(
        np.float64)
    ratio = np.divide(supply, demand, out=np.zeros(len(supply)), where=demand > 0)
    access: F64 = np.bincount(o, weights=ratio[f] * w, minlength=len(population)).astype(
        np.float64)
    return CatchmentResult(ratio=ratio, access=access, demand=demand)
