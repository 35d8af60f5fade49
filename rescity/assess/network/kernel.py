"""Numba kernel: one bounded multi-source Dijkstra per facility, accumulated per origin.

Every array is contiguous and indexed 0..n-1. Counts, values and reached population are
returned per threshold *bucket* (d in (T[k-1], T[k]]) in item-major layout;
:func:`run_reach` accumulates and transposes them. The work is split over threads by
interleaving facilities (``f = t, t + T, …``) so that dense and sparse parts of the city mix;
each thread writes to its own slice of the result arrays, which the caller reduces. No
``fastmath``: the code compares against ``inf``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _push(hd: Any, hn: Any, size: int, d: float, node: int) -> int:
    i = size
    hd[i] = d
    hn[i] = node
    while i > 0:
        parent = (i - 1) >> 1
        if hd[parent] <= hd[i]:
            break
        hd[parent], hd[i] = hd[i], hd[parent]
        hn[parent], hn[i] = hn[i], hn[parent]
        i = parent
    return size + 1


@njit(cache=True, nogil=True)
def _pop(hd: Any, hn: Any, size: int) -> int:
    size -= 1
    hd[0] = hd[size]
    hn[0] = hn[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        small = left
        right = left + 1
        if right < size and hd[right] < hd[left]:
            small = right
        if hd[i] <= hd[small]:
            break
        hd[small], hd[i] = hd[i], hd[small]
        hn[small], hn[i] = hn[i], hn[small]
        i = small
    return size


@njit(cache=True, nogil=True)
def _chunk(
    t: int, n_threads: int, cap: int,
    indptr: Any, nbr: Any, wgt: Any,
    seed_ptr: Any, seed_node: Any, seed_dist: Any,
    direct_ptr: Any, direct_org: Any, direct_dist: Any,
    norg_ptr: Any, norg_org: Any, norg_off: Any,
    fitem_ptr: Any, fitem: Any, fvalue: Any, fslot_ptr: Any, fslot: Any,
    thresholds: Any, cutoff: float, pop: Any,
    counts: Any, nearest: Any, value: Any, fac_pop: Any,
) -> None:
    """The searches of thread ``t``: facilities t, t + T, t + 2T, … (a plain compiled loop;
    numba optimises it better outside the parallel region)."""
    n_nodes = len(indptr) - 1
    n_org = len(pop)
    n_fac = len(seed_ptr) - 1
    n_thr = len(thresholds)
    dist = np.full(n_nodes, np.inf)
    best = np.full(n_org, np.inf)
    seen_nodes = np.empty(n_nodes, dtype=np.int64)
    seen_org = np.empty(n_org, dtype=np.int64)
    hd = np.empty(cap, dtype=np.float64)
    hn = np.empty(cap, dtype=np.int64)
    for f in range(t, n_fac, n_threads):
        n_seen = 0
        n_seen_org = 0
        size = 0
        for k in range(seed_ptr[f], seed_ptr[f + 1]):
            node = seed_node[k]
            d = seed_dist[k]
            if d <= cutoff and d < dist[node]:
                if dist[node] == np.inf:
                    seen_nodes[n_seen] = node
                    n_seen += 1
                dist[node] = d
                size = _push(hd, hn, size, d, node)
        for k in range(direct_ptr[f], direct_ptr[f + 1]):
            o = direct_org[k]
            if direct_dist[k] < best[o]:
                if best[o] == np.inf:
                    seen_org[n_seen_org] = o
                    n_seen_org += 1
                best[o] = direct_dist[k]
        while size > 0:
            d = hd[0]
            node = hn[0]
            size = _pop(hd, hn, size)
            if d > dist[node]:
                continue  # a stale heap entry: the node was settled at a shorter distance
            for k in range(norg_ptr[node], norg_ptr[node + 1]):
                o = norg_org[k]
                cand = d + norg_off[k]
                if cand < best[o]:
                    if best[o] == np.inf:
                        seen_org[n_seen_org] = o
                        n_seen_org += 1
                    best[o] = cand
            for k in range(indptr[node], indptr[node + 1]):
                v = nbr[k]
                nd = d + wgt[k]
                if nd <= cutoff and nd < dist[v]:
                    if dist[v] == np.inf:
                        seen_nodes[n_seen] = v
                        n_seen += 1
                    dist[v] = nd
                    size = _push(hd, hn, size, nd, v)
        for j in range(n_seen_org):
            o = seen_org[j]
            d = best[o]
            best[o] = np.inf
            if d > cutoff:
                continue
            # Histogram: count in the first threshold bucket that holds d; the caller turns
            # buckets into "within threshold" totals with a cumulative sum (one write, not 3).
            b = 0
            while b < n_thr - 1 and d > thresholds[b]:
                b += 1
            if d > thresholds[b]:
                continue
            for k in range(fitem_ptr[f], fitem_ptr[f + 1]):
                it = fitem[k]
                if d < nearest[t, it, o]:
                    nearest[t, it, o] = d
                counts[t, it, b, o] += 1
            for k in range(fslot_ptr[f], fslot_ptr[f + 1]):
                value[t, fslot[k], b, o] += fvalue[f]
            fac_pop[f, b] += pop[o]
        for j in range(n_seen):
            node = seen_nodes[j]
            dist[node] = np.inf


@njit(parallel=True, cache=True)
def reach_kernel(
    indptr: Any, nbr: Any, wgt: Any,
    seed_ptr: Any, seed_node: Any, seed_dist: Any,
    direct_ptr: Any, direct_org: Any, direct_dist: Any,
    norg_ptr: Any, norg_org: Any, norg_off: Any,
    fitem_ptr: Any, fitem: Any, fvalue: Any, fslot_ptr: Any, fslot: Any,
    thresholds: Any, cutoff: float, pop: Any,
    n_items: int, n_slots: int, n_threads: int,
) -> Any:
    n_org = len(pop)
    n_fac = len(seed_ptr) - 1
    n_thr = len(thresholds)
    # Item-major layout: one facility's reached origins are neighbours in memory.
    counts = np.zeros((n_threads, n_items, n_thr, n_org), dtype=np.int32)
    nearest = np.full((n_threads, n_items, n_org), np.inf)
    value = np.zeros((n_threads, max(n_slots, 1), n_thr, n_org))
    fac_pop = np.zeros((n_fac, n_thr))
    max_seeds = 0
    for f in range(n_fac):
        max_seeds = max(max_seeds, seed_ptr[f + 1] - seed_ptr[f])
    cap = len(nbr) + max_seeds + 1
    for t in prange(n_threads):
        _chunk(t, n_threads, cap, indptr, nbr, wgt, seed_ptr, seed_node, seed_dist,
               direct_ptr, direct_org, direct_dist, norg_ptr, norg_org, norg_off,
               fitem_ptr, fitem, fvalue, fslot_ptr, fslot, thresholds, cutoff, pop,
               counts, nearest, value, fac_pop)
    return counts, nearest, value, fac_pop
