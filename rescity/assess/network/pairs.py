"""Source → target network distances within a cutoff, as sparse pairs.

The reach kernel (``kernel.py``) aggregates per origin; gap analysis, siting and the two-step
floating catchment need the pairs themselves (which origin reaches which candidate site or
clinic, and how far). This module runs the engine's search (``kernel.search``, on the
network's branch-node graph) once per source, seeded on both ends of its edge like the reach
kernel, and emits ``(source, target, distance)`` for every target reached within the cutoff.
Sources and targets are snapped points; the engine's
:func:`~rescity.assess.network.reach.attach` builds the seeds, node→target lists and same-edge
pairs, with sources in the role of facilities and targets in the role of origins.

Work is split into chunks of sources run on a thread pool (the kernel releases the GIL).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from rescity.assess.network.graph import WalkNetwork
from rescity.assess.network.kernel import search, single_origins, workspace
from rescity.assess.network.reach import Attachments, attach, on_search_graph
from rescity.assess.network.snap import Snapped

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@njit(cache=True, nogil=True)
def _pairs_kernel(
    indptr: Any, nbr: Any, wgt: Any,
    seed_ptr: Any, seed_node: Any, seed_dist: Any,
    direct_ptr: Any, direct_tgt: Any, direct_dist: Any,
    ntgt_ptr: Any, ntgt_tgt: Any, ntgt_off: Any, single: Any,
    n_targets: int, cutoff: float, first: int, last: int,
) -> Any:
    max_seeds = 0
    for s in range(first, last):
        max_seeds = max(max_seeds, seed_ptr[s + 1] - seed_ptr[s])
    ws = workspace(indptr, wgt, n_targets, len(nbr) + max_seeds + 1, cutoff)
    hit_tgt, hit_d = ws[10], ws[11]
    out_cap = 1024
    out_s = np.empty(out_cap, dtype=np.int64)
    out_t = np.empty(out_cap, dtype=np.int64)
    out_d = np.empty(out_cap, dtype=np.float64)
    n_out = 0
    for s in range(first, last):
        n_hit = search(indptr, nbr, wgt, s, seed_ptr, seed_node, seed_dist,
                       direct_ptr, direct_tgt, direct_dist, ntgt_ptr, ntgt_tgt, ntgt_off,
                       single, cutoff, ws)
        for j in range(n_hit):
            t = hit_tgt[j]
            d = hit_d[j]
            if n_out == out_cap:
                out_cap *= 2
                ns = np.empty(out_cap, dtype=np.int64)
                nt = np.empty(out_cap, dtype=np.int64)
                nd2 = np.empty(out_cap, dtype=np.float64)
                ns[:n_out] = out_s[:n_out]
                nt[:n_out] = out_t[:n_out]
                nd2[:n_out] = out_d[:n_out]
                out_s, out_t, out_d = ns, nt, nd2
            out_s[n_out] = s
            out_t[n_out] = t
            out_d[n_out] = d
            n_out += 1
    return out_s[:n_out].copy(), out_t[:n_out].copy(), out_d[:n_out].copy()


@dataclass(frozen=True)
class Pairs:
    """Sparse distances, sorted by (source, target); each pair at most once."""

    source: I64
    target: I64
    dist: F64


def _run(att: Attachments, net: WalkNetwork, n_targets: int, cutoff: float,
         n_sources: int, threads: int) -> Pairs:
    sg = net.search_graph
    indptr, nbr, wgt = sg.indptr, sg.nbr, sg.wgt
    att = on_search_graph(net, att, cutoff)
    single = single_origins(att.norg_org, att.direct_org, n_targets)  # once, for every chunk
    chunk = max(1, -(-n_sources // (threads * 4)))
    bounds = [(a, min(a + chunk, n_sources)) for a in range(0, n_sources, chunk)]

    def one(b: tuple[int, int]) -> tuple[I64, I64, F64]:
        out: tuple[I64, I64, F64] = _pairs_kernel(
            indptr, nbr, wgt, att.seed_ptr, att.seed_node, att.seed_dist,
            att.direct_ptr, att.direct_org, att.direct_dist,
            att.norg_ptr, att.norg_org, att.norg_off, single, n_targets, float(cutoff), b[0],
            b[1])
        return out

    if threads > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(one, bounds))
    else:
        parts = [one(b) for b in bounds]
    if not parts:
        return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    s = np.concatenate([p[0] for p in parts])
    t = np.concatenate([p[1] for p in parts])
    d = np.concatenate([p[2] for p in parts])
    order = np.lexsort((t, s))
    return Pairs(s[order], t[order], d[order])


def pairs_within(
    net: WalkNetwork, sources: Snapped, source_id: I64, n_sources: int, targets: Snapped,
    cutoff: float, *, add_snap_distance: bool, threads: int | None = None,
) -> Pairs:
    """Network distance from each source to each target within ``cutoff`` metres.

    ``source_id[p]`` names the source that snapped point ``p`` belongs to (a facility with
    several access points is one source, at its nearest point). Unsnapped points reach nothing.
    """
    att = attach(net, targets, sources, np.asarray(source_id, np.int64), n_sources,
                 add_snap_distance=add_snap_distance)
    n = threads or min(os.cpu_count() or 1, 8)
    return _run(att, net, len(targets.edge), cutoff, n_sources, n)


def node_points(net: WalkNetwork, nodes: I64) -> Snapped:
    """Network nodes as snapped points (on an incident edge, at offset 0 or its length)."""
    nodes = np.asarray(nodes, np.int64)
    m = net.n_edges
    # First incident edge per node: the CSR order of both edge directions.
    src = np.concatenate([net.edge_u, net.edge_v])
    eid = np.concatenate([np.arange(m), np.arange(m)])
    order = np.argsort(src, kind="stable")
    first = np.full(net.n_nodes, -1, dtype=np.int64)
    uniq, at = np.unique(src[order], return_index=True)
    first[uniq] = eid[order][at]
    edge = first[nodes]
    at_v = net.edge_u[edge] != nodes
    offset = np.where(at_v, net.edge_len[edge], 0.0)
    return Snapped(edge, offset, np.zeros(len(nodes)))
