"""The published noise is the discrete Laplace mechanism that the release states.

OpenDP draws from the operating system's secure random source and offers no seed (on
purpose: a seed would let anyone who learns it subtract the noise). So the check runs many
releases and compares the draws with the distribution the mechanism says, with tolerances
of about five standard errors: the test fails by chance about once in a million runs, and
fails every time if the scale were off by a few percent.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest

from rescity.community.outbreak.dp import (
    Mechanism,
    discrete_laplace,
    privacy_loss,
    suppressed,
)

RELEASES, CELLS = 2_000, 10


@pytest.mark.parametrize("epsilon", [0.5, 1.0])
def test_noise_over_many_releases_has_the_mean_variance_and_shape_epsilon_says(
    epsilon: float,
) -> None:
    exact = [0, 1, 3, 7, 12, 20, 40, 55, 80, 100]
    noise: list[int] = []
    for _ in range(RELEASES):
        published = discrete_laplace(exact, epsilon)
        noise += [p - e for p, e in zip(published, exact, strict=True)]
    n = len(noise)
    mechanism = Mechanism(epsilon)
    var = mechanism.variance
    mean = sum(noise) / n
    assert abs(mean) < 5 * math.sqrt(var / n), mean
    sample_var = sum((z - mean) ** 2 for z in noise) / (n - 1)
    # The variance of the sample variance needs the fourth moment; for these scales the
    # relative standard error is under 2 %: ten percent is far outside chance.
    assert abs(sample_var / var - 1) < 0.10, (sample_var, var)
    # The shape: P(Z = z) = (1 - q) / (1 + q) · q^|z| with q = e^(-ε).
    q = math.exp(-1 / mechanism.scale)
    counts = Counter(noise)
    for z in range(-3, 4):
        p = (1 - q) / (1 + q) * q ** abs(z)
        assert abs(counts[z] / n - p) < 5 * math.sqrt(p * (1 - p) / n), (z, counts[z] / n, p)


def test_opendps_privacy_map_gives_the_stated_epsilon_for_one_person() -> None:
    for epsilon in (0.1, 0.5, 1.0, 2.0):
        assert privacy_loss(epsilon) == pytest.approx(epsilon)


def test_two_releases_of_the_same_counts_differ() -> None:
    exact = [5] * 50
    assert discrete_laplace(exact, 0.5) != discrete_laplace(exact, 0.5)


def test_counts_below_k_after_noise_are_withheld() -> None:
    assert suppressed(4, 5) is None and suppressed(-2, 5) is None
    assert suppressed(5, 5) == 5 and suppressed(17, 5) == 17


def test_a_non_positive_epsilon_is_refused() -> None:
    with pytest.raises(ValueError):
        discrete_laplace([1], 0)
