"""Maximal covering: lazy greedy against a naive greedy and the exact MILP optimum."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rescity.assess.domain.siting import Coverage, exact_mclp, greedy_mclp


def coverage(sets: list[list[int]], weights: list[float]) -> Coverage:
    cand = np.array([j for j, s in enumerate(sets) for _ in s], dtype=np.int64)
    dem = np.array([i for s in sets for i in s], dtype=np.int64)
    return Coverage.from_pairs(cand, dem, len(sets), np.array(weights, dtype=np.float64))


def naive_greedy(cov: Coverage, k: int) -> list[int]:
    covered = np.zeros(cov.n_demand, dtype=bool)
    picked: list[int] = []
    for _ in range(k):
        gains = [float(cov.weight[cov.covered_by(j)][~covered[cov.covered_by(j)]].sum())
                 for j in range(cov.n_candidates)]
        best = int(np.argmax(gains))  # first maximum: the lowest index wins ties
        if gains[best] <= 0:
            break
        picked.append(best)
        covered[cov.covered_by(best)] = True
    return picked


def covered_weight(cov: Coverage, sites: list[int]) -> float:
    mask = np.zeros(cov.n_demand, dtype=bool)
    for j in sites:
        mask[cov.covered_by(j)] = True
    return float(cov.weight[mask].sum())


def random_instance(rng: np.random.Generator, n_cand: int, n_dem: int) -> Coverage:
    sets = [list(rng.choice(n_dem, size=rng.integers(1, max(2, n_dem // 3)), replace=False))
            for _ in range(n_cand)]
    return coverage(sets, list(rng.uniform(1, 100, n_dem)))


def test_pairs_are_deduplicated_into_sorted_rows() -> None:
    cov = coverage([[2, 0, 2], [], [1]], [1.0, 2.0, 3.0])
    assert [list(cov.covered_by(j)) for j in range(3)] == [[0, 2], [], [1]]


@pytest.mark.parametrize(
    ("sets", "weights", "k", "best"),
    [
        ([[0, 1], [2], [3, 4]], [1, 1, 5, 1, 1], 2, 7.0),          # disjoint sets
        ([[0], [0, 1], [0, 1, 2]], [1, 1, 1], 1, 3.0),              # nested sets
        ([[0, 1, 2], [3], [2, 3]], [1, 1, 1, 1], 2, 4.0),           # overlap, greedy fine
        ([[0], [1]], [4, 2], 5, 6.0),                                # k beyond what helps
    ],
)
def test_greedy_finds_the_optimum_on_small_cases_where_it_should(sets, weights, k, best) -> None:
    cov = coverage(sets, weights)
    greedy, exact = greedy_mclp(cov, k), exact_mclp(cov, k)
    assert greedy.covered == pytest.approx(best)
    assert exact.covered == pytest.approx(best)
    assert exact.optimal


def test_greedy_is_beaten_on_the_textbook_trap_but_stays_above_the_bound() -> None:
    # One big middle set lures greedy; the two side sets together cover more.
    cov = coverage([[0, 1, 2, 3], [0, 1, 4], [2, 3, 5]], [1, 1, 1, 1, 1.5, 1.5])
    greedy, exact = greedy_mclp(cov, 2), exact_mclp(cov, 2)
    assert greedy.sites == [0, 1]
    assert greedy.covered == pytest.approx(5.5)
    assert sorted(exact.sites) == [1, 2]
    assert exact.covered == pytest.approx(7.0)
    assert greedy.covered >= (1 - 1 / math.e) * exact.covered


@pytest.mark.parametrize("seed", range(12))
def test_greedy_reaches_at_least_63_percent_of_the_exact_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cov = random_instance(rng, n_cand=int(rng.integers(5, 30)), n_dem=int(rng.integers(10, 60)))
    k = int(rng.integers(1, 5))
    greedy, exact = greedy_mclp(cov, k), exact_mclp(cov, k)
    assert exact.optimal
    assert greedy.covered <= exact.covered + 1e-6
    assert greedy.covered >= (1 - 1 / math.e) * exact.covered - 1e-9
    assert covered_weight(cov, exact.sites) == pytest.approx(exact.covered)
    assert len(exact.sites) <= k


@pytest.mark.parametrize("seed", range(8))
def test_lazy_greedy_picks_what_naive_greedy_picks(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    cov = random_instance(rng, n_cand=40, n_dem=80)
    lazy = greedy_mclp(cov, 6)
    assert lazy.sites == naive_greedy(cov, 6)
    assert sum(lazy.gains) == pytest.approx(lazy.covered)
    assert covered_weight(cov, lazy.sites) == pytest.approx(lazy.covered)
    assert all(a >= b - 1e-9 for a, b in zip(lazy.gains, lazy.gains[1:], strict=False))


def test_zero_sites_and_empty_instances_give_empty_solutions() -> None:
    cov = coverage([[0]], [1.0])
    assert greedy_mclp(cov, 0).sites == []
    assert exact_mclp(cov, 0).covered == 0.0
    empty = coverage([], [])
    assert greedy_mclp(empty, 3).sites == []
