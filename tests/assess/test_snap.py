"""The grid snapper finds the same nearest street as shapely's STR-tree, to the millimetre."""

from __future__ import annotations

import numpy as np
import shapely

from rescity.assess.network.snap import Snapper


def test_snapping_equals_shapely_nearest_edge_on_a_real_network(assessed) -> None:  # type: ignore[no-untyped-def]
    net = assessed.get("porto_centro").network
    rng = np.random.default_rng(11)
    pick = rng.integers(0, net.n_nodes, 5000)
    x = net.x[pick] + rng.normal(0, 120, len(pick))
    y = net.y[pick] + rng.normal(0, 120, len(pick))
    mine = Snapper(net).snap(x, y, 200.0)
    pts = shapely.points(x, y)
    (src, edge), dist = shapely.STRtree(net.lines).query_nearest(
        pts, max_distance=200.0, return_distance=True, all_matches=False)
    assert set(np.flatnonzero(mine.ok)) == set(src)
    assert np.abs(mine.dist[src] - dist).max() < 1e-6
    same = mine.edge[src] == edge  # ties (a point equally near two edges) may differ
    assert same.mean() > 0.98
    offset = shapely.line_locate_point(net.lines[edge[same]], pts[src[same]])
    assert np.abs(mine.offset[src[same]] - offset).max() < 1e-6
    # The snapped point lies on its edge at the reported leg distance.
    on_edge = shapely.line_interpolate_point(net.lines[mine.edge[src]], mine.offset[src])
    assert np.abs(shapely.distance(on_edge, pts[src]) - mine.dist[src]).max() < 1e-6


def test_points_beyond_the_maximum_are_flagged_not_zero(assessed) -> None:  # type: ignore[no-untyped-def]
    net = assessed.get("monaco").network
    far = Snapper(net).snap(np.array([net.x.max() + 5000.0]), np.array([net.y.max()]), 250.0)
    assert not far.ok[0]
    assert far.edge[0] == -1
    assert np.isnan(far.dist[0])
