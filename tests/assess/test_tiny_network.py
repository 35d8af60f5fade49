"""A hand-built network in metres where every distance and every index is worked out by hand.

    A(0,0) --100-- B(100,0) --300-- C(400,0) --1000-- E(1400,0)
                                    |
                                   300
                                    |
                                  D(400,300)

Origins: O1 (50, 10) on A–B (offset 50, leg 10), population 100;
         O2 (405, 150) on C–D (offset 150, leg 5), population 300.
Facilities: kindergarten K (150, -20) on B–C; wet market W (390, 290) on C–D;
park P, the 100 × 50 m rectangle (700..800, 10..60), 5 000 m², access points on C–E;
bus stop S (20, -5) on A–B; rail station R (1400, 10) at E.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from rescity.assess.domain.config import build_config
from rescity.assess.domain.taxonomy import load_taxonomy
from rescity.assess.network.graph import assemble
from rescity.assess.network.snap import Snapper
from rescity.assess.services.facilities import access_points
from rescity.assess.services.scoring import Scores, score

TAX = load_taxonomy()
XY = np.array([[0, 0], [100, 0], [400, 0], [400, 300], [1400, 0]], dtype=float)
EDGES = [(0, 1), (1, 2), (2, 3), (2, 4)]
W_KG, W_WET = 0.0795, 0.1124


def tiny_network():
    u = np.array([e[0] for e in EDGES])
    v = np.array([e[1] for e in EDGES])
    length = np.hypot(*(XY[v] - XY[u]).T)
    gx = np.concatenate([[XY[a, 0], XY[b, 0]] for a, b in EDGES])
    gy = np.concatenate([[XY[a, 1], XY[b, 1]] for a, b in EDGES])
    ptr = np.arange(0, 2 * len(EDGES) + 1, 2)
    return assemble("EPSG:32650", XY[:, 0], XY[:, 1], np.arange(5), u, v, length, ptr, gx, gy)


def run(overrides: dict | None = None) -> Scores:
    cfg = build_config(overrides)
    net = tiny_network()
    snapper = Snapper(net)
    geoms = np.array([
        shapely.Point(150, -20),
        shapely.Point(390, 290),
        shapely.box(700, 10, 800, 60),
        shapely.Point(20, -5),
        shapely.Point(1400, 10),
    ], dtype=object)
    items = [["kindergarten"], ["wet_market", "daily_supply"], ["park", "green_space"],
             ["bus_stop"], ["rail_station"]]
    item_idx = [[TAX.index(i) for i in row] for row in items]
    area = shapely.area(geoms)
    access, access_fac = access_points(geoms, snapper, cfg)
    ox, oy = np.array([50.0, 405.0]), np.array([10.0, 150.0])
    osnap = snapper.snap(ox, oy, cfg.network.max_snap_m)
    pop = np.array([100.0, 300.0])
    return score(net, item_idx, area, access, access_fac, osnap, ox, oy, pop, cfg, TAX)


@pytest.fixture(scope="module")
def scores() -> Scores:
    return run()


def nearest(s: Scores, item: str) -> np.ndarray:
    return s.reach.nearest[:, TAX.index(item)]


def test_distances_follow_the_streets_including_snap_legs_and_offsets(scores: Scores) -> None:
    # O1: 10 + 50 to B, + 50 along B–C, + 20 leg. O2: 5 + 150 to C, + 250 back, + 20.
    assert nearest(scores, "kindergarten") == pytest.approx([130.0, 425.0], abs=1e-9)
    # O1: 10 + 50 + 300 to C, + 290 up C–D, + 10. O2 shares C–D: 5 + |290 - 150| + 10.
    assert nearest(scores, "wet_market") == pytest.approx([660.0, 155.0], abs=1e-9)
    # Park: nearest access point (700, 10), 300 m along C–E with a 10 m leg.
    assert nearest(scores, "park") == pytest.approx([670.0, 465.0], abs=1e-9)
    # Bus stop on the same edge as O1: 10 + |50 - 20| + 5.
    assert nearest(scores, "bus_stop")[0] == pytest.approx(45.0, abs=1e-9)
    # Rail station beyond the 1 000 m cutoff for both.
    assert np.isinf(nearest(scores, "rail_station")).all()


def test_counts_per_threshold(scores: Scores) -> None:
    k = TAX.index("kindergarten")
    assert scores.reach.counts[:, k, scores.k(300)].tolist() == [1, 0]
    assert scores.reach.counts[:, k, scores.k(500)].tolist() == [1, 1]
    w = TAX.index("wet_market")
    assert scores.reach.counts[:, w, scores.k(500)].tolist() == [0, 1]
    assert scores.reach.counts[:, w, scores.k(1000)].tolist() == [1, 1]


def test_life_service_presence_is_the_sum_of_weights_within_15_minutes(scores: Scores) -> None:
    assert scores.indices["life_service"] == pytest.approx([W_KG + W_WET] * 2)


def test_life_service_tiered_and_decay_modes() -> None:
    tiered = run({"life_service": {"mode": "tiered"}}).indices["life_service"]
    assert tiered == pytest.approx([W_KG * 1.0 + W_WET * 0.6, W_KG * 0.8 + W_WET * 1.0])
    decay = run({"life_service": {"mode": "decay"}}).indices["life_service"]
    assert decay == pytest.approx([W_KG + W_WET * (1000 - 660) / 700,
                                   W_KG * (1000 - 425) / 700 + W_WET])


def test_life_service_standard_mode_uses_each_items_own_life_circle() -> None:
    # GB 50180-2018: kindergarten in the 5-min circle (300 m), wet market in the 10-min (500 m).
    # K is within 300 m of O1 and 425 m from O2; W is 660 m from O1 and within 300 m of O2.
    std = run({"life_service": {"mode": "standard"}}).indices["life_service"]
    assert std == pytest.approx([W_KG, W_WET])


def test_disaster_index(scores: Scores) -> None:
    # medical 0; supply mean(1/3 daily supply, 1/1 wet market); shelter 0; open space 0.5 ha/1 ha.
    supply = (1 / 3 + 1) / 2
    assert scores.indices["disaster_supply"] == pytest.approx([supply] * 2)
    assert scores.indices["disaster_open_space"] == pytest.approx([0.5, 0.5])
    assert scores.indices["disaster"] == pytest.approx([0.25 * (supply + 0.5)] * 2)


def test_transport_index(scores: Scores) -> None:
    # One intersection (C, degree 3) within 500 m of both origins.
    density = 1 / (math.pi * 0.25)
    conn = density / 250
    assert scores.indices["transport_connectivity"] == pytest.approx([conn, conn])
    assert scores.indices["transport_bus"] == pytest.approx([0.25, 0.0])
    assert scores.indices["transport_rail"] == pytest.approx([0.0, 0.0])
    assert scores.indices["transport"] == pytest.approx([0.25 + conn, conn])


def test_rail_score_falls_with_the_walk_to_the_station() -> None:
    # Station R at E: O2 walks 5 + 150 + 1000 + 10 = 1165 m, beyond 1000 m; with a 2 km reach
    # and full marks within 1 km it scores (2000 - 1165) / 1000.
    far = run({"transport": {"rail_distance_m": 2000.0, "rail_full_m": 1000.0}})
    assert far.indices["transport_rail"][1] == pytest.approx((2000 - 1165) / 1000)


def test_parallel_edges_do_not_make_an_intersection() -> None:
    from rescity.assess.services.scoring import street_degree

    net = tiny_network()
    # A second edge B–C beside the first (a footway along a road): B still meets only A and C.
    u = np.r_[net.edge_u, 1]
    v = np.r_[net.edge_v, 2]
    length = np.r_[net.edge_len, 300.0]
    gx = np.r_[net.geom_x, 100.0, 400.0]
    gy = np.r_[net.geom_y, 0.0, 0.0]
    ptr = np.r_[net.geom_ptr, net.geom_ptr[-1] + 2]
    twin = assemble("EPSG:32650", XY[:, 0], XY[:, 1], np.arange(5), u, v, length, ptr, gx, gy)
    assert twin.degree[1] == 3  # what the old count saw
    assert street_degree(twin).tolist() == [1, 2, 3, 1, 1]


def test_environment_index_uses_two_step_catchment(scores: Scores) -> None:
    # Both origins (400 residents) reach the 5 000 m² park: 12.5 m² each, above the 9 m²
    # standard. No green within 300 m, no park of 1 ha or more: 0.5 × 1 + 0 + 0.
    assert scores.view.green_per_capita == pytest.approx([12.5, 12.5])
    assert scores.indices["environment"] == pytest.approx([0.5, 0.5])


def test_health_resilience_is_the_weighted_mean(scores: Scores) -> None:
    ix = scores.indices
    expected = 0.25 * (ix["life_service"] + ix["disaster"] + ix["transport"] / 3
                       + ix["environment"])
    assert ix["health_resilience"] == pytest.approx(expected)


def test_without_snap_legs_distances_shrink_by_both_legs() -> None:
    s = run({"network": {"add_snap_distance": False}})
    assert nearest(s, "kindergarten") == pytest.approx([100.0, 400.0], abs=1e-9)


def test_thresholds_from_minutes_and_speed() -> None:
    s = run({"thresholds": {"minutes": [2, 5, 12.5], "walk_speed_m_per_min": 80.0}})
    k = TAX.index("kindergarten")
    assert s.reach.counts[:, k, s.k(160)].tolist() == [1, 0]
    assert s.reach.counts[:, k, s.k(1000)].tolist() == [1, 1]
