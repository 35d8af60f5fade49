"""Array helpers of the network and the origins give the plain (slower) answer: the sort-based
unique with inverse numpy's, the gathered ranges a concatenation of aranges, the snapped
facilities per item a count by hand."""

from __future__ import annotations

import numpy as np
import pytest

from rescity.assess.domain.unique import sorted_unique, unique_inverse
from rescity.assess.network.graph import _gather_ranges
from rescity.assess.services.pipeline import _snapped_per_item


@pytest.mark.parametrize("values", [
    [],
    [7],
    [3, 3, 3],
    [5, -2, 5, 9, -2, 0, 9, 9],
    [2**62, -(2**62), 2**62],
])
def test_unique_inverse_matches_numpy_on_small_arrays(values: list[int]) -> None:
    a = np.array(values, dtype=np.int64)
    uniq, inv = unique_inverse(a)
    want_u, want_inv = np.unique(a, return_inverse=True)
    assert np.array_equal(uniq, want_u) and np.array_equal(inv, want_inv)
    assert np.array_equal(uniq[inv], a)
    assert np.array_equal(sorted_unique(a), want_u)


def test_unique_inverse_matches_numpy_on_many_repeated_ids() -> None:
    a = np.random.default_rng(13).integers(0, 50_000, size=200_000, dtype=np.int64)
    uniq, inv = unique_inverse(a)
    want_u, want_inv = np.unique(a, return_inverse=True)
    assert np.array_equal(uniq, want_u) and np.array_equal(inv, want_inv)


def test_gather_ranges_concatenates_each_range_in_order() -> None:
    rng = np.random.default_rng(6)
    starts = rng.integers(0, 10**6, 500)
    counts = rng.integers(0, 12, 500)  # empty ranges too
    want = np.concatenate([np.arange(s, s + c) for s, c in zip(starts, counts, strict=True)])
    assert np.array_equal(_gather_ranges(starts, counts), want)
    assert len(_gather_ranges(np.zeros(0, np.int64), np.zeros(0, np.int64))) == 0


def test_snapped_facilities_count_once_per_item_they_serve() -> None:
    # facility 1 lists item 1 twice; facility 2 is not snapped; facility 3 serves nothing
    items = [[0, 2], [1, 1, 2], [2], [], [3]]
    snapped = np.array([True, True, False, True, True])
    assert _snapped_per_item(items, snapped, 5) == [1, 1, 2, 1, 0]
    assert _snapped_per_item([], np.zeros(0, dtype=bool), 2) == [0, 0]
