"""The branch-node search graph gives exactly the distances of the full graph.

Random graphs of every awkward shape (a bare tree, one cycle, a path, cycles with long
dead-end trees, self-loops, parallel edges, chains that loop back to their start) with
multi-seed sources, origins hanging on one or two nodes and same-edge pairs; the reference
is scipy's all-pairs Dijkstra on the full graph.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from rescity.assess.network import reach
from rescity.assess.network.graph import WalkNetwork
from rescity.assess.network.pairs import pairs_within
from rescity.assess.network.reach import Attachments, run_reach
from rescity.assess.network.search_graph import build_search_graph
from rescity.assess.network.snap import Snapped

T = np.array([40.0, 90.0, 150.0])


def random_graph(rng: np.random.Generator, shape: str, n: int) -> tuple[np.ndarray, ...]:
    if shape == "tree":
        u = np.arange(1, n)
        v = rng.integers(0, np.arange(1, n))
    elif shape == "path":
        u, v = np.arange(n - 1), np.arange(1, n)
    elif shape == "cycle":
        u, v = np.arange(n), (np.arange(n) + 1) % n
    else:  # a few cycles, long dead-end trees, self-loops and parallel edges
        core = max(3, n // 4)
        u = np.r_[np.arange(core), np.arange(core, n)]
        v = np.r_[(np.arange(core) + 1) % core, rng.integers(0, np.arange(core, n))]
        extra = rng.integers(0, n, size=(n // 6, 2))
        u = np.r_[u, extra[:, 0], [0, 1]]
        v = np.r_[v, extra[:, 1], [0, 2]]  # a self-loop and a parallel edge
    # Some edges far shorter than a queue band (cutoff / 256), so that nodes are pushed into
    # the band being settled, and some ties.
    w = np.where(rng.random(len(u)) < 0.3, rng.uniform(0.001, 0.5, len(u)),
                 rng.uniform(1.0, 30.0, len(u)))
    w[rng.random(len(u)) < 0.1] = 5.0
    return u.astype(np.int64), v.astype(np.int64), w


def reference(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    keep = u != v
    m = sp.coo_matrix((w[keep], (u[keep], v[keep])), shape=(n, n)).tocsr()
    # Parallel edges: keep the shortest (a sparse matrix would add them up).
    best: dict[tuple[int, int], float] = {}
    for a, b, c in zip(u[keep], v[keep], w[keep], strict=True):
        key = (min(a, b), max(a, b))
        best[key] = min(best.get(key, np.inf), c)
    rows = [k[0] for k in best]
    cols = [k[1] for k in best]
    m = sp.csr_matrix((list(best.values()), (rows, cols)), shape=(n, n))
    out: np.ndarray = dijkstra(m, directed=False)
    return out


@pytest.mark.parametrize("shape", ["tree", "path", "cycle", "mixed"])
@pytest.mark.parametrize("seed", range(6))
def test_reach_on_search_graph_equals_full_graph(shape: str, seed: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 60))
    u, v, w = random_graph(rng, shape, n)
    net = WalkNetwork("EPSG:32650", rng.uniform(0, 500, n), rng.uniform(0, 500, n),
                      np.arange(n), u, v, w, np.arange(len(u) + 1) * 0,
                      np.zeros(0), np.zeros(0))
    D = reference(n, u, v, w)
    n_fac, n_org, n_items = 25, 30, 3
    # Sources: 1-3 seeds at random nodes with random starting distances (like access points
    # on both ends of an edge); some share their seeds exactly (grouped searches).
    seeds = [[(int(rng.integers(n)), float(rng.uniform(0, 20)))
              for _ in range(int(rng.integers(1, 4)))] for _ in range(n_fac)]
    seeds[1] = list(seeds[0])
    seeds[2] = list(seeds[0])
    # Origins: hanging on one or two nodes with offsets; some same-edge direct pairs.
    hang = [[(int(rng.integers(n)), float(rng.uniform(0, 15)))
             for _ in range(int(rng.integers(1, 3)))] for _ in range(n_org)]
    direct = [[(int(rng.integers(n_org)), float(rng.uniform(0, 60)))]
              if rng.random() < 0.3 else [] for _ in range(n_fac)]
    direct[1] = list(direct[0])
    direct[2] = list(direct[0])
    items = [[int(rng.integers(n_items))] + ([0] if rng.random() < 0.2 else [])
             for _ in range(n_fac)]
    pop = rng.uniform(1, 10, n_org)
    area = rng.uniform(10, 100, n_fac)
    slots = [[0] if rng.random() < 0.5 else [] for _ in range(n_fac)]
    # Reference distances, facility x origin.
    ref = np.full((n_fac, n_org), np.inf)
    for f in range(n_fac):
        for o in range(n_org):
            for sn, sd in seeds[f]:
                for hn, ho in hang[o]:
                    ref[f, o] = min(ref[f, o], sd + D[sn, hn] + ho)
        for o, dd in direct[f]:
            ref[f, o] = min(ref[f, o], dd)
    ref[ref > T[-1]] = np.inf
    # Engine.
    norg = sorted((hn, o, ho) for o in range(n_org) for hn, ho in hang[o])
    norg_ptr = np.searchsorted([x[0] for x in norg], np.arange(n + 1)).astype(np.int64)
    att = Attachments(
        seed_ptr=np.r_[0, np.cumsum([len(s) for s in seeds])].astype(np.int64),
        seed_node=np.array([sn for s in seeds for sn, _ in s], np.int64),
        seed_dist=np.array([sd for s in seeds for _, sd in s]),
        direct_ptr=np.r_[0, np.cumsum([len(d) for d in direct])].astype(np.int64),
        direct_org=np.array([o for d in direct for o, _ in d], np.int64),
        direct_dist=np.array([dd for d in direct for _, dd in d], np.float64),
        norg_ptr=norg_ptr, norg_org=np.array([x[1] for x in norg], np.int64),
        norg_off=np.array([x[2] for x in norg]),
    )
    # Threads own parts of the origins and pass each other their hits on the others' parts;
    # with no slack a buffer takes one search only and the exchange runs in several rounds.
    # Counts are uint16 unless an item has too many facilities (limit 0: always int32).
    for threads, slack, limit in ((1, None, 1 << 16), (2, None, 1 << 16), (2, 0, 1 << 16),
                                  (3, 0, 1 << 16), (5, 0, 1 << 16), (1, None, 0), (2, 0, 0)):
        monkeypatch.setattr(reach, "_buffer_slack", slack)
        monkeypatch.setattr(reach, "_narrow_limit", limit)
        r = run_reach(net, att, items, n_items, T, float(T[-1]), pop, fac_value=area,
                      fac_slots=slots, n_slots=1, n_threads=threads)
        assert r.counts.dtype == (np.uint16 if limit else np.int32)
        for i in range(n_items):
            members = [f for f in range(n_fac) if i in items[f]]
            for k, t in enumerate(T):
                want = sum((ref[f] <= t).astype(int) * items[f].count(i) for f in members)
                assert np.array_equal(r.counts[:, i, k], want)
            near = ref[members].min(axis=0) if members else np.full(n_org, np.inf)
            assert np.allclose(r.nearest[:, i], near, rtol=0, atol=1e-9)
        for k, t in enumerate(T):
            within = ref <= t
            assert np.allclose(r.fac_pop[:, k], within @ pop, rtol=1e-12, atol=1e-9)
            green = np.array([area[f] * (0 in slots[f]) for f in range(n_fac)])
            assert np.allclose(r.value[:, 0, k], green @ within, rtol=1e-12, atol=1e-9)
        # Counts only: the same counts, values and populations, no nearest distances.
        c = run_reach(net, att, items, n_items, T, float(T[-1]), pop, fac_value=area,
                      fac_slots=slots, n_slots=1, n_threads=threads, with_nearest=False)
        assert c.nearest.shape == (0, n_items)
        assert np.array_equal(c.counts, r.counts)
        assert np.array_equal(c.value, r.value) and np.array_equal(c.fac_pop, r.fac_pop)


@pytest.mark.parametrize("shape", ["tree", "cycle", "mixed"])
def test_search_graph_is_smaller_and_every_node_has_a_way_in(shape: str) -> None:
    rng = np.random.default_rng(7)
    n = 50
    u, v, w = random_graph(rng, shape, n)
    sg = build_search_graph(n, u, v, w)
    assert 1 <= sg.n_branch < n
    hanging = sg.branch < 0
    assert (sg.exit_node[hanging, 0] >= 0).all()
    assert (sg.exit_node[~hanging] == -1).all()
    # An exit distance is the full graph's distance to that exit, through the region.
    D = reference(n, u, v, w)
    branch_node = np.full(sg.n_branch, -1)
    branch_node[sg.branch[~hanging]] = np.flatnonzero(~hanging)
    for x in np.flatnonzero(hanging):
        for k in range(2):
            if sg.exit_node[x, k] >= 0:
                assert sg.exit_dist[x, k] >= D[x, branch_node[sg.exit_node[x, k]]] - 1e-9


def test_pairs_on_search_graph_equal_full_graph() -> None:
    rng = np.random.default_rng(3)
    n = 40
    u, v, w = random_graph(rng, "mixed", n)
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    net = WalkNetwork("EPSG:32650", rng.uniform(0, 500, n), rng.uniform(0, 500, n),
                      np.arange(n), u, v, w, np.arange(len(u) + 1) * 0, np.zeros(0),
                      np.zeros(0))
    D = reference(n, u, v, w)
    # Sources and targets snapped on random edges at random offsets.
    se = rng.integers(0, len(u), 12)
    so = rng.uniform(0, 1, 12) * w[se]
    te = rng.integers(0, len(u), 20)
    to = rng.uniform(0, 1, 20) * w[te]
    p = pairs_within(net, Snapped(se, so, np.zeros(12)), np.arange(12), 12,
                     Snapped(te, to, np.zeros(20)), 100.0, add_snap_distance=False)
    got = np.full((12, 20), np.inf)
    got[p.source, p.target] = p.dist
    for s in range(12):
        for t in range(20):
            ends_s = [(u[se[s]], so[s]), (v[se[s]], w[se[s]] - so[s])]
            ends_t = [(u[te[t]], to[t]), (v[te[t]], w[te[t]] - to[t])]
            want = min(a + D[x, y] + b for x, a in ends_s for y, b in ends_t)
            if se[s] == te[t]:
                want = min(want, abs(so[s] - to[t]))
            want = want if want <= 100.0 else np.inf
            assert got[s, t] == pytest.approx(want, abs=1e-9) or (
                np.isinf(want) and np.isinf(got[s, t]))
