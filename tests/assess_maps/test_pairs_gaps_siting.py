"""Network pairs on a diamond worked out by hand, then gaps and siting on real cities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rescity.assess.adapters.result_store import load_result
from rescity.assess.network.graph import assemble
from rescity.assess.network.pairs import node_points, pairs_within
from rescity.assess.network.snap import Snapped
from rescity.assess.services.siting import item_gaps, site_facilities, snap_origins, uncovered


def diamond():
    """A(0,0) B(100,100) C(100,-100) D(200,0); edges A-B 150, A-C 100, B-D 100, C-D 300."""
    x = np.array([0.0, 100.0, 100.0, 200.0])
    y = np.array([0.0, 100.0, -100.0, 0.0])
    u = np.array([0, 0, 1, 2])
    v = np.array([1, 2, 3, 3])
    geom_x = np.concatenate([[x[a], x[b]] for a, b in zip(u, v, strict=True)])
    geom_y = np.concatenate([[y[a], y[b]] for a, b in zip(u, v, strict=True)])
    return assemble("EPSG:32650", x, y, np.arange(4), u, v, np.array([150.0, 100.0, 100.0, 300.0]),
                    np.arange(0, 9, 2), geom_x, geom_y)


def one(edge: int, offset: float, leg: float = 0.0) -> Snapped:
    return Snapped(np.array([edge]), np.array([offset]), np.array([leg]))


def test_distances_from_a_point_on_an_edge_to_every_node() -> None:
    net = diamond()
    pairs = pairs_within(net, one(0, 50.0), np.array([0]), 1, node_points(net, np.arange(4)),
                         1000.0, add_snap_distance=False)
    assert pairs.target.tolist() == [0, 1, 2, 3]
    assert pairs.dist.tolist() == [50.0, 100.0, 150.0, 200.0]


def test_the_cutoff_drops_far_targets_and_the_snap_leg_is_added() -> None:
    net = diamond()
    pairs = pairs_within(net, one(0, 50.0, leg=10.0), np.array([0]), 1,
                         node_points(net, np.arange(4)), 180.0, add_snap_distance=True)
    assert dict(zip(pairs.target.tolist(), pairs.dist.tolist(), strict=True)) == {
        0: 60.0, 1: 110.0, 2: 160.0}


def test_two_points_on_the_same_edge_use_the_direct_way() -> None:
    net = diamond()
    pairs = pairs_within(net, one(0, 50.0), np.array([0]), 1, one(0, 120.0), 1000.0,
                         add_snap_distance=False)
    assert pairs.dist.tolist() == [70.0]


def test_uncovered_shares_agree_with_the_engine_coverage(cities) -> None:
    for city in cities.values():
        for gap in item_gaps(city):
            engine = city.summary["coverage"][gap.item]["15min"]
            if math.isfinite(engine):
                assert gap.uncovered_share == pytest.approx(1 - engine, abs=1e-9)


def test_a_result_folder_reads_back_to_the_same_network_and_snapping(cities, result_dirs,
                                                                    assessed) -> None:
    for name, folder in result_dirs.items():
        loaded = load_result(folder)
        net, orig = loaded.network, assessed[name].network
        assert np.array_equal(net.edge_u, orig.edge_u) and np.allclose(net.x, orig.x)
        again = snap_origins(loaded)
        assert np.array_equal(again.edge, assessed[name].origin_snap.edge)
        assert np.allclose(again.offset, assessed[name].origin_snap.offset, equal_nan=True)


@pytest.mark.parametrize("item", ["kindergarten", "community_health_centre", "library"])
def test_proposed_sites_really_cover_what_greedy_claims(cities, item) -> None:
    city = cities["nanjing_xinjiekou"]
    res = site_facilities(city, item, 3, exact=True)
    assert res.exact is not None and res.greedy_ratio is not None
    assert res.greedy_ratio >= 1 - 1 / math.e
    assert res.greedy.covered <= res.exact.covered + 1e-6
    # Walk from each uncovered origin to the proposed nodes: those within 15 min are covered.
    mask = uncovered(city, item, res.distance_m)
    osnap = snap_origins(city)
    demand = np.flatnonzero(mask & osnap.ok)
    sub = Snapped(osnap.edge[demand], osnap.offset[demand], osnap.dist[demand])
    nodes = res.sites["node"].to_numpy()
    pairs = pairs_within(city.network, sub, np.arange(len(demand)), len(demand),
                         node_points(city.network, nodes), res.distance_m, add_snap_distance=True)
    pop = city.origins["population"].to_numpy()[demand]
    assert pop[np.unique(pairs.source)].sum() == pytest.approx(res.greedy.covered)
    assert res.sites["gain_population"].is_monotonic_decreasing


def test_siting_from_a_result_folder_equals_siting_in_memory(cities, result_dirs) -> None:
    a = site_facilities(cities["beijing_haidian_liudaokou"], "kindergarten", 4)
    b = site_facilities(load_result(result_dirs["beijing_haidian_liudaokou"]), "kindergarten", 4)
    assert a.sites["node"].tolist() == b.sites["node"].tolist()
    assert np.allclose(a.sites["gain_population"], b.sites["gain_population"])
