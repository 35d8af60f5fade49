"""Distances and counts equal an independent reference on real extracts.

The reference splits every street edge at each snapped origin and access point, links the
pieces with their along-street lengths, adds one virtual source per facility (linked to its
access points by their snap legs) and runs scipy's Dijkstra. It shares only the snapping with
the engine, so it checks the offsets, the same-edge shortcuts, the multi-source seeding, the
cutoff and the kernel's accumulation.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from rescity.assess import AssessmentResult
from rescity.assess.network.reach import attach, run_reach
from rescity.assess.network.snap import Snapped

TOL = 1e-6


def reference_distances(
    result: AssessmentResult, access: Snapped, access_fac: np.ndarray, n_fac: int
) -> np.ndarray:
    """(n_fac, n_origins) network distances, inf beyond the search cutoff."""
    net = result.network
    add_leg = result.config.network.add_snap_distance
    cutoff = float(result.distances[-1])
    osnap = result.origin_snap
    o_ok = np.flatnonzero(osnap.ok)
    n = net.n_nodes
    # Split nodes: one per origin, one per access point.
    o_node = n + np.arange(len(o_ok))
    a_node = n + len(o_ok) + np.arange(len(access.edge))
    f_node = n + len(o_ok) + len(access.edge) + np.arange(n_fac)
    total = n + len(o_ok) + len(access.edge) + n_fac
    edge = np.concatenate([np.arange(net.n_edges), np.arange(net.n_edges),
                           osnap.edge[o_ok], access.edge])
    offset = np.concatenate([np.zeros(net.n_edges), net.edge_len,
                             osnap.offset[o_ok], access.offset])
    node = np.concatenate([net.edge_u, net.edge_v, o_node, a_node])
    rank = np.concatenate([np.zeros(net.n_edges), np.full(net.n_edges, 2),
                           np.ones(len(o_ok) + len(access.edge))])
    order = np.lexsort((rank, offset, edge))
    edge, offset, node = edge[order], offset[order], node[order]
    same = edge[1:] == edge[:-1]
    src, dst = node[:-1][same], node[1:][same]
    w = np.maximum(offset[1:][same] - offset[:-1][same], 0.0)
    # Keep the shortest of parallel links (a sparse matrix would add them up).
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    keep = lo != hi
    lo, hi, w = lo[keep], hi[keep], w[keep]
    order = np.lexsort((w, hi, lo))
    lo, hi, w = lo[order], hi[order], w[order]
    first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])]
    lo, hi, w = lo[first], hi[first], w[first]
    # Streets both ways; a facility's virtual source only leads out (it must not become a
    # shortcut between the access points of a large park).
    legs = access.dist if add_leg else np.zeros(len(access.edge))
    src = np.concatenate([lo, hi, f_node[access_fac]])
    dst = np.concatenate([hi, lo, a_node])
    w = np.concatenate([w, w, legs])
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])]
    graph = sp.csr_matrix((w[first], (src[first], dst[first])), shape=(total, total))
    o_leg = osnap.dist[o_ok] if add_leg else np.zeros(len(o_ok))
    out = np.full((n_fac, len(osnap.edge)), np.inf)
    for start in range(0, n_fac, 256):
        rows = np.arange(start, min(start + 256, n_fac))
        d = dijkstra(graph, directed=True, indices=f_node[rows], limit=cutoff)
        dd = d[:, o_node] + o_leg
        dd[dd > cutoff] = np.inf
        out[np.ix_(rows, o_ok)] = dd
    return out


def reference_reach(result: AssessmentResult, dist: np.ndarray, fac_items: list[list[int]]):
    n_items = len(result.taxonomy.ids)
    n_org = dist.shape[1]
    nearest = np.full((n_org, n_items), np.inf)
    counts = np.zeros((n_org, n_items, len(result.distances)), dtype=np.int64)
    within = dist[:, :, None] <= result.distances[None, None, :]
    for f, items in enumerate(fac_items):
        for i in items:
            nearest[:, i] = np.minimum(nearest[:, i], dist[f])
            counts[:, i, :] += within[f]
    return nearest, counts


def compare(nearest: np.ndarray, counts: np.ndarray, ref_nearest, ref_counts) -> None:
    assert (np.isinf(nearest) == np.isinf(ref_nearest)).all()
    fin = np.isfinite(nearest)
    assert np.abs(nearest[fin] - ref_nearest[fin]).max(initial=0) < TOL
    assert (counts == ref_counts).all()


@pytest.mark.parametrize("city", ["nanjing_xinjiekou", "beijing_haidian_liudaokou", "monaco",
                                  "munich_altstadt", "chengdu_erhuan", "porto_centro"])
def test_engine_equals_scipy_dijkstra_reference(assessed, city: str) -> None:  # type: ignore[no-untyped-def]
    result = assessed.get(city)
    fs = result.facility_set
    dist = reference_distances(result, fs.access, fs.access_fac, len(fs.items))
    ref_nearest, ref_counts = reference_reach(result, dist, fs.items)
    compare(result.reach.nearest, result.reach.counts, ref_nearest, ref_counts)
    # The reference is not vacuous: some origins reach some facilities within 300 m.
    assert (ref_counts[:, :, 0] > 0).any()


def test_engine_equals_reference_on_a_malta_sample(assessed) -> None:  # type: ignore[no-untyped-def]
    result = assessed.get("malta")
    fs = result.facility_set
    rng = np.random.default_rng(7)
    pick = np.sort(rng.choice(len(fs.items), size=400, replace=False))
    remap = np.full(len(fs.items), -1)
    remap[pick] = np.arange(len(pick))
    sel = remap[fs.access_fac] >= 0
    access = Snapped(fs.access.edge[sel], fs.access.offset[sel], fs.access.dist[sel])
    access_fac = remap[fs.access_fac[sel]]
    items = [fs.items[f] for f in pick]
    att = attach(result.network, result.origin_snap, access, access_fac, len(pick),
                 add_snap_distance=result.config.network.add_snap_distance)
    pop = result.origins["population"].to_numpy(dtype=float)
    mine = run_reach(result.network, att, items, len(result.taxonomy.ids), result.distances,
                     float(result.distances[-1]), pop)
    dist = reference_distances(result, access, access_fac, len(pick))
    ref_nearest, ref_counts = reference_reach(result, dist, items)
    compare(mine.nearest, mine.counts, ref_nearest, ref_counts)
    # Population reached per facility agrees too.
    ref_pop = np.array([[pop[np.isfinite(dist[f]) & (dist[f] <= d)].sum()
                         for d in result.distances] for f in range(len(pick))])
    assert np.allclose(mine.fac_pop, ref_pop)
