"""Numba kernels: bounded multi-source Dijkstra searches, accumulated per origin.

:func:`search` is the one search loop of the engine (the reach kernel here and the pair
kernel in ``pairs.py`` both call it). :func:`reach_kernel` runs one search per *group* of
facilities that sit at the same place (a building with a school and a library, a bus stop
shared by two routes): they reach the same origins at the same distances, so one search
serves all of them. Counts and values are accumulated as "within threshold" totals. Groups
are numbered along the space-filling curve and split into one run per thread; each thread
owns the origins of its part of the city and writes only theirs into the results, passing
its hits on other threads' origins (those near the border of its part) to their owners, so
there are no per-thread copies of the results to allocate and add up. No ``fastmath``: the
code compares against ``inf``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, inline="always")
def _push(hd: Any, hn: Any, size: int, d: float, node: int) -> int:
    """Binary heap insert, moving the hole up instead of swapping."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        pd = hd[parent]
        if pd <= d:
            break
        hd[i] = pd
        hn[i] = hn[parent]
        i = parent
    hd[i] = d
    hn[i] = node
    return size + 1


@njit(cache=True, nogil=True, inline="always")
def _pop(hd: Any, hn: Any, size: int) -> int:
    """Remove the heap's minimum (read ``hd[0]``, ``hn[0]`` first)."""
    size -= 1
    d = hd[size]
    node = hn[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and hd[c + 1] < hd[c]:
            c += 1
        if d <= hd[c]:
            break
        hd[i] = hd[c]
        hn[i] = hn[c]
        i = c
    hd[i] = d
    hn[i] = node
    return size


N_BUCKETS = 256
"""Buckets of the search queue: distance bands of cutoff / 256 (about 4 m for 1 km)."""


@njit(cache=True, nogil=True)
def workspace(indptr: Any, wgt: Any, n_org: int, cap: int, cutoff: float) -> Any:
    """Per-thread scratch arrays of :func:`search` (all-inf distances, empty buckets); its
    results are ``ws[10]`` (origins) and ``ws[11]`` (distances). ``ws[12]`` flags the nodes
    whose every edge is longer than a queue band (see :func:`search`)."""
    n_nodes = len(indptr) - 1
    long_edges = np.zeros(n_nodes, dtype=np.bool_)
    if cutoff > 0:
        # A margin far above rounding: an edge this long always leads to a later band.
        band = cutoff / N_BUCKETS * (1.0 + 1e-6)
        for x in range(n_nodes):
            ok = True
            for k in range(indptr[x], indptr[x + 1]):
                if not wgt[k] > band:
                    ok = False
                    break
            long_edges[x] = ok
    return (np.full(n_nodes, np.inf), np.empty(n_nodes, dtype=np.int64),
            np.full(n_org, np.inf), np.empty(n_org, dtype=np.int64),
            np.empty(cap), np.empty(cap, dtype=np.int64),
            np.full(N_BUCKETS + 2, -1, dtype=np.int64),
            np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64), np.empty(cap),
            np.empty(n_org, dtype=np.int64), np.empty(n_org), long_edges)


@njit(cache=True)
def single_origins(norg_org: Any, direct_org: Any, n_org: int) -> Any:
    """Origins that hang on one node only and are in no direct pair: their distance is
    final when that node is settled, so a search reports them at once."""
    uses = np.zeros(n_org, dtype=np.int64)
    for o in norg_org:
        uses[o] += 1
    for o in direct_org:
        uses[o] += 2
    return uses == 1


@njit(cache=True, nogil=True)
def search(
    indptr: Any, nbr: Any, wgt: Any, f: int,
    seed_ptr: Any, seed_node: Any, seed_dist: Any,
    direct_ptr: Any, direct_org: Any, direct_dist: Any,
    norg_ptr: Any, norg_org: Any, norg_off: Any, single: Any, cutoff: float, ws: Any,
) -> int:
    """Shortest distance from source ``f`` to every origin within ``cutoff``.

    Returns n: the origins reached are ``ws[10][:n]``, each once, at distances ``ws[11][:n]``.
    An origin that hangs on one node only (``single``) is reported when that node is
    settled; the others are kept at their best so far until the search ends. The scratch
    arrays are left clean for the next search.

    The queue is a bucket queue over distance bands with a binary heap for the current band
    only: pushes into later bands are O(1) list inserts and the heap stays tiny, which makes
    the search ~1.7 times faster than one heap for everything. Exact: every entry of a
    later band is farther than every entry of the current one.
    """
    (dist, seen_nodes, best, seen_org, hd, hn, head, e_node, e_next, e_d, hit_org, hit_d,
     long_edges) = ws
    n_hit = 0
    inv_w = N_BUCKETS / cutoff if cutoff > 0 else 0.0
    n_seen = 0
    n_seen_org = 0
    n_e = 0
    top = -1
    for k in range(seed_ptr[f], seed_ptr[f + 1]):
        node = seed_node[k]
        d = seed_dist[k]
        if d <= cutoff and d < dist[node]:
            if dist[node] == np.inf:
                seen_nodes[n_seen] = node
                n_seen += 1
            dist[node] = d
            bk = int(d * inv_w)
            e_node[n_e] = node
            e_d[n_e] = d
            e_next[n_e] = head[bk]
            head[bk] = n_e
            n_e += 1
            top = max(top, bk)
    for k in range(direct_ptr[f], direct_ptr[f + 1]):
        o = direct_org[k]
        if direct_dist[k] < best[o]:
            if best[o] == np.inf:
                seen_org[n_seen_org] = o
                n_seen_org += 1
            best[o] = direct_dist[k]
    b = 0
    size = 0
    while b <= top:
        e = head[b]
        if e < 0:
            b += 1
            continue
        head[b] = -1
        # The band's list first, then its heap. A node whose edges are all longer than a
        # band cannot be reached closer from inside its band: it is settled straight from
        # the list, in any order; the others go through the heap, in distance order.
        while e >= 0 or size > 0:
            if e >= 0:
                node = e_node[e]
                d = e_d[e]
                e = e_next[e]
                if d != dist[node]:
                    continue  # stale: the node was reached closer since
                if not long_edges[node]:
                    size = _push(hd, hn, size, d, node)
                    continue
            else:
                d = hd[0]
                node = hn[0]
                size = _pop(hd, hn, size)
                if d > dist[node]:
                    continue  # a stale heap entry: the node was settled at a shorter distance
            for k in range(norg_ptr[node], norg_ptr[node + 1]):
                o = norg_org[k]
                cand = d + norg_off[k]
                if single[o]:
                    if cand <= cutoff:
                        hit_org[n_hit] = o
                        hit_d[n_hit] = cand
                        n_hit += 1
                elif cand < best[o]:
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
                    bk = int(nd * inv_w)
                    if bk <= b:
                        size = _push(hd, hn, size, nd, v)
                    else:
                        e_node[n_e] = v
                        e_d[n_e] = nd
                        e_next[n_e] = head[bk]
                        head[bk] = n_e
                        n_e += 1
                        top = max(top, bk)
        b += 1
    for j in range(n_seen):
        dist[seen_nodes[j]] = np.inf
    for j in range(n_seen_org):
        o = seen_org[j]
        if best[o] <= cutoff:
            hit_org[n_hit] = o
            hit_d[n_hit] = best[o]
            n_hit += 1
        best[o] = np.inf
    return n_hit


@njit(cache=True, nogil=True)
def _searches(
    t: int, n_threads: int, first: int, last: int, cap: int,
    indptr: Any, nbr: Any, wgt: Any,
    seed_ptr: Any, seed_node: Any, seed_dist: Any,
    direct_ptr: Any, direct_org: Any, direct_dist: Any,
    norg_ptr: Any, norg_org: Any, norg_off: Any, single: Any,
    grp_rep: Any, gitem_ptr: Any, gitem: Any, gitem_n: Any,
    gslot_ptr: Any, gslot: Any, gslot_val: Any,
    thresholds: Any, cutoff: float, pop: Any, owner: Any,
    counts: Any, nearest: Any, with_nearest: bool, value: Any, grp_pop: Any,
    buf_o: Any, buf_g: Any, buf_d: Any, buf_n: Any,
) -> int:
    """Thread ``t``'s searches, groups ``first`` to ``last`` (a plain compiled loop: numba
    optimises it better outside the parallel region). Hits on the thread's own origins go
    straight into the results; the others are kept in ``buf_*`` for their owner, until the
    buffer could not take a whole search: returns the first group not done."""
    n_org = len(pop)
    n_thr = len(thresholds)
    ws = workspace(indptr, wgt, n_org, cap, cutoff)
    hit_org, hit_d = ws[10], ws[11]
    n_buf = 0
    for g in range(first, last):
        n_hit = search(indptr, nbr, wgt, grp_rep[g], seed_ptr, seed_node, seed_dist,
                       direct_ptr, direct_org, direct_dist, norg_ptr, norg_org, norg_off,
                       single, cutoff, ws)
        if n_threads > 1 and n_buf + n_hit > len(buf_o):
            buf_n[0] = n_buf
            return g  # redone in the next round, after the buffers are emptied
        for j in range(n_hit):
            o = hit_org[j]
            d = hit_d[j]
            if owner[o] != t:
                buf_o[n_buf] = o
                buf_g[n_buf] = g
                buf_d[n_buf] = d
                n_buf += 1
                continue
            # b: the first threshold that holds d; it and every larger one count the hit (one
            # cache line). Written out here (a call per hit, with its arrays' reference counts,
            # would cost as much) and without data-dependent branches, which mispredict.
            b = 0
            for q in range(n_thr):
                b += d > thresholds[q]
            if b == n_thr:
                continue
            for k in range(gitem_ptr[g], gitem_ptr[g + 1]):
                it = gitem[k]
                if with_nearest:
                    nearest[o, it] = min(nearest[o, it], d)
                c = gitem_n[k]
                for bb in range(n_thr):
                    counts[o, it, bb] += c if bb >= b else 0
            for k in range(gslot_ptr[g], gslot_ptr[g + 1]):
                val = gslot_val[k]
                for bb in range(n_thr):
                    value[o, gslot[k], bb] += val if bb >= b else 0.0
            grp_pop[g, b] += pop[o]  # per threshold bucket; the caller accumulates
    buf_n[0] = n_buf
    return last


@njit(cache=True, nogil=True)
def _deferred(
    t: int, gitem_ptr: Any, gitem: Any, gitem_n: Any,
    gslot_ptr: Any, gslot: Any, gslot_val: Any, thresholds: Any, pop: Any, owner: Any,
    counts: Any, nearest: Any, with_nearest: bool, value: Any, grp_pop: Any,
    buf_o: Any, buf_g: Any, buf_d: Any, buf_n: Any,
) -> None:
    """Thread ``t`` adds the other threads' hits on its origins."""
    n_thr = len(thresholds)
    for u in range(len(buf_n)):
        if u == t:
            continue
        for j in range(buf_n[u]):
            o = buf_o[u, j]
            if owner[o] != t:
                continue
            d = buf_d[u, j]
            g = buf_g[u, j]
            # b: the first threshold that holds d; it and every larger one count the hit (one
            # cache line). Written out here (a call per hit, with its arrays' reference counts,
            # would cost as much) and without data-dependent branches, which mispredict.
            b = 0
            for q in range(n_thr):
                b += d > thresholds[q]
            if b == n_thr:
                continue
            for k in range(gitem_ptr[g], gitem_ptr[g + 1]):
                it = gitem[k]
                if with_nearest:
                    nearest[o, it] = min(nearest[o, it], d)
                c = gitem_n[k]
                for bb in range(n_thr):
                    counts[o, it, bb] += c if bb >= b else 0
            for k in range(gslot_ptr[g], gslot_ptr[g + 1]):
                val = gslot_val[k]
                for bb in range(n_thr):
                    value[o, gslot[k], bb] += val if bb >= b else 0.0
            grp_pop[g, b] += pop[o]  # per threshold bucket; the caller accumulates


@njit(cache=True)
def _split(n_threads: int, n_org: int, n_branch: int, seed_ptr: Any, seed_node: Any,
           norg_ptr: Any, norg_org: Any, grp_rep: Any) -> Any:
    """Groups in ``n_threads`` runs of equal length (they are numbered along the space-filling
    curve, so each run covers one part of the city), and each origin's owner: the thread
    whose part holds the node it hangs on."""
    n_grp = len(grp_rep)
    bounds = np.empty(n_threads + 1, dtype=np.int64)
    for t in range(n_threads + 1):
        bounds[t] = n_grp * t // n_threads
    start = np.empty(n_threads, dtype=np.int64)  # first branch node of each thread's part
    for t in range(n_threads):
        start[t] = 0
        if t > 0 and bounds[t] < n_grp:
            f = grp_rep[bounds[t]]
            key = n_branch
            for k in range(seed_ptr[f], seed_ptr[f + 1]):
                key = min(key, seed_node[k])
            start[t] = key
        elif t > 0:
            start[t] = n_branch
    owner = np.zeros(n_org, dtype=np.int32)
    part = 0
    for x in range(len(norg_ptr) - 1):
        while part + 1 < n_threads and x >= start[part + 1]:
            part += 1
        for k in range(norg_ptr[x], norg_ptr[x + 1]):
            owner[norg_org[k]] = part
    return bounds, owner


@njit(parallel=True, cache=True)
def reach_kernel(
    indptr: Any, nbr: Any, wgt: Any,
    seed_ptr: Any, seed_node: Any, seed_dist: Any,
    direct_ptr: Any, direct_org: Any, direct_dist: Any,
    norg_ptr: Any, norg_org: Any, norg_off: Any, single: Any,
    grp_rep: Any, gitem_ptr: Any, gitem: Any, gitem_n: Any,
    gslot_ptr: Any, gslot: Any, gslot_val: Any,
    thresholds: Any, cutoff: float, pop: Any,
    counts: Any, nearest: Any, value: Any, grp_pop: Any, buf_cap: int,
) -> None:
    """One search per group (``grp_rep[g]`` is its representative source); a group adds
    ``gitem_n`` to its items' counts and ``gslot_val`` to its value slots.

    Origin-major results: what one origin gets sits in one place. Each thread searches one
    run of groups (one part of the city) and owns the origins of that part: it adds their
    hits straight into ``counts``, ``nearest``, ``value`` and keeps the hits on other threads'
    origins (few: those near the border of its part) for them, which they add afterwards. No
    thread writes another's origins, so there are no per-thread copies of the results.
    ``nearest`` with no rows: counts only (no nearest distances). ``buf_cap`` is the size of a
    thread's buffer; ``grp_pop[t]`` is thread t's. The caller
    allocates the results (zeros, and inf for ``nearest``) with numpy, whose large arrays get
    huge pages: handing out fresh memory page by page is slow on a virtual machine.
    """
    n_threads = grp_pop.shape[0]
    n_org = len(pop)
    with_nearest = nearest.shape[0] == n_org  # no rows: the caller wants counts only
    bounds, owner = _split(n_threads, n_org, len(indptr) - 1, seed_ptr, seed_node,
                           norg_ptr, norg_org, grp_rep)
    max_seeds = 0
    for f in range(len(seed_ptr) - 1):
        max_seeds = max(max_seeds, seed_ptr[f + 1] - seed_ptr[f])
    cap = len(nbr) + max_seeds + 1
    # A thread's buffer takes at least one whole search (a search reaches an origin once);
    # when it cannot take the next, the threads exchange what they have and go on.
    buf_cap = 0 if n_threads == 1 else max(buf_cap, n_org)
    buf_o = np.empty((n_threads, buf_cap), dtype=np.int64)
    buf_g = np.empty((n_threads, buf_cap), dtype=np.int64)
    buf_d = np.empty((n_threads, buf_cap))
    buf_n = np.zeros((n_threads, 1), dtype=np.int64)
    pos = bounds[:-1].copy()
    while True:
        for t in prange(n_threads):
            pos[t] = _searches(t, n_threads, pos[t], bounds[t + 1], cap, indptr, nbr, wgt,
                               seed_ptr, seed_node, seed_dist, direct_ptr, direct_org,
                               direct_dist, norg_ptr, norg_org, norg_off, single, grp_rep,
                               gitem_ptr, gitem, gitem_n, gslot_ptr, gslot, gslot_val,
                               thresholds, cutoff, pop, owner, counts, nearest, with_nearest,
                               value, grp_pop[t], buf_o[t], buf_g[t], buf_d[t], buf_n[t])
        if n_threads > 1:
            for t in prange(n_threads):
                _deferred(t, gitem_ptr, gitem, gitem_n, gslot_ptr, gslot, gslot_val,
                          thresholds, pop, owner, counts, nearest, with_nearest, value,
                          grp_pop[t], buf_o, buf_g, buf_d, buf_n[:, 0])
        done = True
        for t in range(n_threads):
            if pos[t] < bounds[t + 1]:
                done = False
        if done:
            break


@njit(cache=True)
def group_sources(
    seed_ptr: Any, seed_node: Any, seed_dist: Any,
    direct_ptr: Any, direct_org: Any, direct_dist: Any,
) -> Any:
    """Group sources with identical seeds and direct pairs (same place, same distances).

    Returns (grp_rep, group_of): the source whose search serves group g, and each source's
    group.
    """
    n = len(seed_ptr) - 1
    h = np.empty(n, dtype=np.uint64)
    for f in range(n):
        x = np.uint64(1469598103934665603)
        prime = np.uint64(1099511628211)
        for k in range(seed_ptr[f], seed_ptr[f + 1]):
            x = (x ^ np.uint64(seed_node[k])) * prime
            x = (x ^ np.uint64(np.int64(seed_dist[k] * 1e6))) * prime
        x = (x ^ np.uint64(direct_ptr[f + 1] - direct_ptr[f])) * prime
        for k in range(direct_ptr[f], direct_ptr[f + 1]):
            x = (x ^ np.uint64(direct_org[k])) * prime
        h[f] = x
    order = np.argsort(h, kind="mergesort")
    group = np.full(n, -1, dtype=np.int64)
    reps = np.empty(n, dtype=np.int64)
    n_grp = 0
    i = 0
    while i < n:
        j = i
        while j < n and h[order[j]] == h[order[i]]:
            j += 1
        # Exact comparison inside a hash bucket: first matching representative, else new.
        first_rep = n_grp
        for a in range(i, j):
            f = order[a]
            for r in range(first_rep, n_grp):
                g = reps[r]
                if _same(f, g, seed_ptr, seed_node, seed_dist, direct_ptr, direct_org,
                         direct_dist):
                    group[f] = r
                    break
            if group[f] < 0:
                reps[n_grp] = f
                group[f] = n_grp
                n_grp += 1
        i = j
    # Number the groups by where they search from (their lowest seed node: nodes are in
    # space-filling-curve order), so that consecutive searches share warm cache lines.
    key = np.full(n_grp, np.iinfo(np.int64).max, dtype=np.int64)
    for r in range(n_grp):
        f = reps[r]
        for k in range(seed_ptr[f], seed_ptr[f + 1]):
            if seed_node[k] < key[r]:
                key[r] = seed_node[k]
    by_key = np.argsort(key, kind="mergesort")
    renum = np.empty(n_grp, dtype=np.int64)
    renum[by_key] = np.arange(n_grp)
    grp_rep = reps[:n_grp][by_key].copy()
    for f in range(n):
        group[f] = renum[group[f]]
    return grp_rep, group


@njit(cache=True, inline="always")
def _same(a: int, b: int, seed_ptr: Any, seed_node: Any, seed_dist: Any, direct_ptr: Any,
          direct_org: Any, direct_dist: Any) -> bool:
    if seed_ptr[a + 1] - seed_ptr[a] != seed_ptr[b + 1] - seed_ptr[b]:
        return False
    if direct_ptr[a + 1] - direct_ptr[a] != direct_ptr[b + 1] - direct_ptr[b]:
        return False
    for k in range(seed_ptr[a + 1] - seed_ptr[a]):
        if (seed_node[seed_ptr[a] + k] != seed_node[seed_ptr[b] + k]
                or seed_dist[seed_ptr[a] + k] != seed_dist[seed_ptr[b] + k]):
            return False
    for k in range(direct_ptr[a + 1] - direct_ptr[a]):
        if (direct_org[direct_ptr[a] + k] != direct_org[direct_ptr[b] + k]
                or direct_dist[direct_ptr[a] + k] != direct_dist[direct_ptr[b] + k]):
            return False
    return True
