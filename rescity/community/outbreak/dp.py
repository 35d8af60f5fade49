"""The differential-privacy mechanism for published counts, from OpenDP.

A count of cases is a query of sensitivity 1: one person added or removed changes one cell
(cases are counted once, in their grid, on their confirmation day) by one. The discrete
Laplace mechanism (the two-sided geometric mechanism) adds integer noise ``Z`` with
``P(Z = z) ∝ exp(-|z| / scale)``; with ``scale = 1/ε`` a whole table of such counts is
ε-differentially private. OpenDP builds the measurement, checks the privacy map (``ε`` for a
distance of 1) and draws the noise from the operating system's secure random source.

Cells whose noised count is below ``k`` are withheld: a decision on the noised value is
post-processing and costs no budget, whereas one on the exact value would leak.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import opendp.prelude as dp

# counts and ε in, noised counts out: the production noise, or a fake in tests.
Noise = Callable[[Sequence[int], float], list[int]]


@dataclass(frozen=True)
class Mechanism:
    """What a release states about its noise."""

    epsilon: float

    @property
    def scale(self) -> float:
        return 1.0 / self.epsilon

    @property
    def variance(self) -> float:
        """Variance of the discrete Laplace noise: ``2q / (1 - q)²`` with ``q = e^(-1/scale)``."""
        q = math.exp(-1.0 / self.scale)
        return 2 * q / (1 - q) ** 2


@cache
def _measurement(scale: float) -> Any:
    # OpenDP asks callers to opt in to its "contrib" components (not yet formally vetted by
    # its committee); the discrete Laplace measurement and its privacy map are among them.
    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    return dp.m.make_laplace(*space, scale=scale)


def privacy_loss(epsilon: float) -> float:
    """The ε OpenDP's privacy map gives for one person (distance 1) at this ε's scale."""
    return float(_measurement(Mechanism(epsilon).scale).map(1))


def discrete_laplace(counts: Sequence[int], epsilon: float) -> list[int]:
    """``counts`` plus independent discrete Laplace noise of scale ``1/ε``, through OpenDP."""
    if epsilon <= 0:
        raise ValueError("ε must be positive")
    if not counts:
        return []
    measurement = _measurement(Mechanism(epsilon).scale)
    return [int(v) for v in measurement([int(c) for c in counts])]


def no_noise(counts: Sequence[int], epsilon: float) -> list[int]:
    """For tests that check what happens around the noise (scope, suppression), not the noise."""
    return [int(c) for c in counts]


def suppressed(noised: int, k: int) -> int | None:
    """The published value: ``None`` (shown as "<k") when the noised count is below k."""
    return None if noised < k else noised
