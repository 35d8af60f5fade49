"""The reach kernel: bounded multi-source Dijkstra searches, accumulated per origin.

The loops are compiled ahead of time (``_engine.pyx``, built at install time); this module
holds the plan. One search serves every facility of a *group* (facilities at the same place,
with the same seeds: a building with a school and a library reaches the same origins at the
same distances). Counts and values are accumulated as "within threshold" totals.

The search queue is a bucket queue over distance bands (cutoff / 256) with a binary heap for
the current band only: pushes into later bands are O(1) list inserts and the heap stays tiny,
~1.7 times faster than one heap for everything, and exact (every entry of a later band is
farther than every entry of the current one). A node whose edges are all longer than a band
is settled straight from the band's list.

Groups are numbered along the space-filling curve and split into one run per thread; each
thread owns the origins of its part of the city and writes only theirs into the results,
passing its hits on other threads' origins (those near the border of its part) to their
owners, so there are no per-thread copies of the results to allocate and add up. The
compiled functions release the GIL, so the threads are plain Python threads. No fast-math:
the code compares against ``inf``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from rescity.assess.network._engine import (
    ReachRun,
    group_sources,
    single_origins,
    split,
)

__all__ = ["N_BUCKETS", "group_sources", "reach_kernel", "single_origins"]

N_BUCKETS = 256
"""Buckets of the search queue: distance bands of cutoff / 256 (about 4 m for 1 km)."""


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

    Origin-major results, written in place: ``counts`` (uint16 or int32), ``nearest`` (no
    rows: counts only), ``value``; ``grp_pop[t]`` is thread t's population per group and
    threshold band (the caller adds them up). ``buf_cap`` is the size of a thread's buffer of
    hits on other threads' origins; when it cannot take the next search, the threads
    exchange what they have and go on.
    """
    n_threads = grp_pop.shape[0]
    n_org = len(pop)
    bounds, owner = split(n_threads, n_org, len(indptr) - 1, seed_ptr, seed_node,
                          norg_ptr, norg_org, grp_rep)
    max_seeds = int(np.diff(seed_ptr).max(initial=0))
    cap = len(nbr) + max_seeds + 1
    # A thread's buffer takes at least one whole search (a search reaches an origin once).
    buf_cap = 0 if n_threads == 1 else max(buf_cap, n_org)
    buf_o = np.empty((n_threads, buf_cap), dtype=np.int64)
    buf_g = np.empty((n_threads, buf_cap), dtype=np.int64)
    buf_d = np.empty((n_threads, buf_cap))
    buf_n = np.zeros(n_threads, dtype=np.int64)
    pos = bounds[:-1].copy()
    run = ReachRun(
        (indptr, nbr, wgt, seed_ptr, seed_node, seed_dist, direct_ptr, direct_org,
         direct_dist, norg_ptr, norg_org, norg_off, single),
        (gitem_ptr, gitem, gitem_n, gslot_ptr, gslot, gslot_val, thresholds, pop, counts,
         nearest, value),
        grp_rep, grp_pop, bounds, owner, pos, buf_o, buf_g, buf_d, buf_n, cap, float(cutoff),
        n_org)
    if n_threads == 1:
        run.searches(0)
        return
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        while True:
            done = list(pool.map(run.searches, range(n_threads)))
            list(pool.map(run.deferred, range(n_threads)))
            if all(done):
                break
