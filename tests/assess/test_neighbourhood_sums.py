"""The grid-neighbourhood sums behind the town-fabric and service rules (``_cell_sums``):
a fixed stencil of whole-cell offsets must give exactly what a ball query around every
occupied cell's centre gives, cells at exactly the radius included."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from scipy.spatial import cKDTree

from rescity.assess.services.dwellings import _cell_sums

F64 = npt.NDArray[np.float64]


def _by_ball_query(cell: float, radius: float, sets: list[tuple[F64, F64]]
                   ) -> tuple[list[F64], F64, npt.NDArray[np.int64]]:
    """The definition: occupied cells, each summed over the cells whose centres lie within
    ``radius`` of its centre (in index order)."""
    keys = np.floor(np.vstack([xy for xy, _ in sets]) / cell).astype(np.int64)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.ravel()
    centres = (uniq + 0.5) * cell
    near = cKDTree(centres).query_ball_point(centres, radius + 1e-6)
    sums, at = [], 0
    for xy, w in sets:
        per_cell = np.bincount(inv[at:at + len(xy)], weights=w, minlength=len(uniq))
        sums.append(np.array([sum((per_cell[j] for j in sorted(n)), 0.0) for n in near]))
        at += len(xy)
    lens = np.array([len(n) for n in near])
    return sums, lens * cell * cell / 1e6, inv[:len(sets[0][0])]


@pytest.mark.parametrize("seed", range(6))
def test_stencil_sums_equal_the_ball_query_around_each_cell(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cell = [50.0, 25.0, 37.5][seed % 3]
    radius = 2 * cell if seed < 3 else 3.3 * cell
    origin = rng.uniform(3e5, 5e6, 2)  # projected coordinates of a real size
    sets = [(origin + rng.uniform(0, 1500, (n, 2)), rng.exponential(80.0, n))
            for n in (700, 120, 60)]
    got = _cell_sums(cell, radius, sets)
    want = _by_ball_query(cell, radius, sets)
    for g, w in zip(got[0], want[0], strict=True):
        assert np.array_equal(g, w)
    assert np.array_equal(got[1], want[1])
    assert np.array_equal(got[2], want[2])


def test_cells_at_exactly_the_radius_are_neighbours() -> None:
    # Three cells in a row, 2 cells apart at the ends: with radius = 2 cells the end cells
    # see each other; with a hair less they do not.
    xy = np.array([[10.0, 10.0], [60.0, 10.0], [110.0, 10.0]])
    w = np.array([1.0, 2.0, 4.0])
    sums, km2, first = _cell_sums(50.0, 100.0, [(xy, w)])
    assert sums[0].tolist() == [7.0, 7.0, 7.0]
    assert first.tolist() == [0, 1, 2]
    assert km2.tolist() == pytest.approx([3 * 0.0025] * 3)
    sums, _, _ = _cell_sums(50.0, 99.0, [(xy, w)])
    assert sums[0].tolist() == [3.0, 7.0, 6.0]
