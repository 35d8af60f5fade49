"""The sort-based unique with inverse gives numpy's answer, on hand-made and random ids."""

from __future__ import annotations

import numpy as np
import pytest

from rescity.assess.domain.unique import unique_inverse


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


def test_unique_inverse_matches_numpy_on_many_repeated_ids() -> None:
    a = np.random.default_rng(13).integers(0, 50_000, size=200_000, dtype=np.int64)
    uniq, inv = unique_inverse(a)
    want_u, want_inv = np.unique(a, return_inverse=True)
    assert np.array_equal(uniq, want_u) and np.array_equal(inv, want_inv)
