"""Prepare the kernel's flat arrays from snapped origins and facilities, run it, reduce.

A facility may have several access points (a park's gates, a campus's sides) but one
identity: all its access points seed one search, so it is counted once per origin, at its
nearest access point. Distances run from point to point: the straight leg to the street
(optional), along the edge to its ends, over the network, and along the origin's edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numba
import numpy as np
import numpy.typing as npt

from rescity.assess.network.graph import WalkNetwork
from rescity.assess.network.kernel import group_sources, reach_kernel, single_origins
from rescity.assess.network.search_graph import reduce_attachments
from rescity.assess.network.snap import Snapped

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass
class ReachResult:
    """Results of one kernel run.

    ``counts[o, item, k]``: facilities of the item within threshold k of origin o (uint16
    where every item has fewer than 65,536 facilities, which makes the counts exact in half
    the memory; int32 otherwise);
    ``nearest[o, item]``: distance to the nearest one (inf when none within the cutoff; no
    rows when the caller asked for counts only);
    ``value[o, slot, k]``: summed facility values (areas) within threshold k;
    ``fac_pop[f, k]``: population of the origins within threshold k of facility f.
    """

    counts: npt.NDArray[np.uint16] | npt.NDArray[np.int32]
    nearest: F64
    value: F64
    fac_pop: F64


_buffer_slack: int | None = None
"""Room in a thread's buffer of hits for other threads beyond one search's (tests set it)."""


_narrow_limit = 1 << 16
"""Counts are uint16 where every item has fewer facilities than this (tests lower it)."""


def _ragged(rows: list[list[int]]) -> tuple[I64, I64]:
    """CSR form of a list of lists (iterated in C: no Python objects per element)."""
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)), out=ptr[1:])
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(ptr[-1]))
    return ptr, flat


def _csr(keys: I64, n: int) -> tuple[I64, I64]:
    order = np.argsort(keys, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    return ptr, order


@dataclass
class Attachments:
    """Where snapped points meet the graph: seeds per facility, origins per node."""

    seed_ptr: I64
    seed_node: I64
    seed_dist: F64
    direct_ptr: I64
    direct_org: I64
    direct_dist: F64
    norg_ptr: I64
    norg_org: I64
    norg_off: F64


def attach(
    net: WalkNetwork, origins: Snapped, access: Snapped, access_fac: I64, n_fac: int,
    *, add_snap_distance: bool,
) -> Attachments:
    """Build seeds (two per access point), node→origin lists and same-edge pairs.

    Unsnapped origins and access points are left out; a facility with no snapped access
    point has no seeds and reaches nobody.
    """
    L = net.edge_len
    # Origins on both ends of their edge.
    o_ok = np.flatnonzero(origins.ok)
    oe = origins.edge[o_ok]
    oq = origins.dist[o_ok] if add_snap_distance else np.zeros(len(o_ok))
    os_ = origins.offset[o_ok]
    keys = np.concatenate([net.edge_u[oe], net.edge_v[oe]])
    org = np.concatenate([o_ok, o_ok])
    off = np.concatenate([os_ + oq, (L[oe] - os_) + oq])
    norg_ptr, order = _csr(keys, net.n_nodes)
    # Facility seeds on both ends of each access point's edge.
    a_ok = np.flatnonzero(access.ok)
    ae = access.edge[a_ok]
    ap = access.dist[a_ok] if add_snap_distance else np.zeros(len(a_ok))
    at = access.offset[a_ok]
    af = access_fac[a_ok]
    s_fac = np.concatenate([af, af])
    s_node = np.concatenate([net.edge_u[ae], net.edge_v[ae]])
    s_dist = np.concatenate([ap + at, ap + (L[ae] - at)])
    seed_ptr, s_order = _csr(s_fac, n_fac)
    # Same-edge pairs: the direct way along the shared edge.
    by_edge_o = np.argsort(oe, kind="stable")
    oe_sorted = oe[by_edge_o]
    lo = np.searchsorted(oe_sorted, ae, side="left")
    hi = np.searchsorted(oe_sorted, ae, side="right")
    n_pairs = hi - lo
    a_rep = np.repeat(np.arange(len(a_ok)), n_pairs)
    starts = np.repeat(lo, n_pairs)
    within = np.arange(len(a_rep)) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
    o_idx = by_edge_o[starts + within]
    d_dist = ap[a_rep] + np.abs(at[a_rep] - os_[o_idx]) + oq[o_idx]
    d_fac = af[a_rep]
    direct_ptr, d_order = _csr(d_fac, n_fac)
    return Attachments(
        seed_ptr=seed_ptr,
        seed_node=np.ascontiguousarray(s_node[s_order]),
        seed_dist=np.ascontiguousarray(s_dist[s_order]),
        direct_ptr=direct_ptr,
        direct_org=np.ascontiguousarray(o_ok[o_idx][d_order]),
        direct_dist=np.ascontiguousarray(d_dist[d_order]),
        norg_ptr=norg_ptr,
        norg_org=np.ascontiguousarray(org[order]),
        norg_off=np.ascontiguousarray(off[order]),
    )


def on_search_graph(net: WalkNetwork, att: Attachments, cutoff: float) -> Attachments:
    """The attachments moved onto the network's branch-node graph (same distances)."""
    return Attachments(*reduce_attachments(
        net.search_graph, att.seed_ptr, att.seed_node, att.seed_dist,
        att.direct_ptr, att.direct_org, att.direct_dist,
        att.norg_ptr, att.norg_org, att.norg_off, cutoff))


def run_reach(
    net: WalkNetwork, att: Attachments, fac_items: list[list[int]], n_items: int,
    thresholds: F64, cutoff: float, population: F64, *,
    fac_value: F64 | None = None, fac_slots: list[list[int]] | None = None, n_slots: int = 0,
    n_threads: int | None = None, with_nearest: bool = True,
) -> ReachResult:
    """Run the kernel on all facilities and reduce the per-thread partial results.

    ``fac_slots[f]`` lists the value slots (e.g. "green space ≥ 400 m²") to which facility
    ``f`` adds ``fac_value[f]`` once per origin it reaches, whatever its number of items.
    ``with_nearest=False``: counts only, ``nearest`` has no rows (4 MB fewer to fill for a
    city of 30,000 origins and 16 items). The searches run on the network's branch-node
    graph (``search_graph.py``), facilities at the same place share one search
    (``kernel.group_sources``).
    """
    sg = net.search_graph
    red = on_search_graph(net, att, cutoff)
    n_fac = len(fac_items)
    grp_rep, group_of = group_sources(red.seed_ptr, red.seed_node, red.seed_dist,
                                      red.direct_ptr, red.direct_org, red.direct_dist)
    n_grp = len(grp_rep)
    # Per group: its items with multiplicity, its value slots with summed values.
    fitem_ptr, fitem = _ragged(fac_items)
    fac_of = np.repeat(np.arange(n_fac, dtype=np.int64), np.diff(fitem_ptr))
    gitem_ptr, gitem, gitem_n = _group_rows(group_of[fac_of], fitem, n_items, n_grp, None)
    if fac_slots is None or n_slots == 0:
        gslot_ptr, gslot, gslot_val = np.zeros(n_grp + 1, np.int64), np.zeros(0, np.int64), \
            np.zeros(0)
    else:
        fslot_ptr, fslot = _ragged(fac_slots)
        fvalue = np.zeros(n_fac) if fac_value is None else np.asarray(fac_value, np.float64)
        fac_of = np.repeat(np.arange(n_fac, dtype=np.int64), np.diff(fslot_ptr))
        gslot_ptr, gslot, gslot_val = _group_rows(group_of[fac_of], fslot, n_slots, n_grp,
                                                  fvalue[fac_of])
    threads = n_threads or numba.get_num_threads()
    n_org, n_thr = len(population), len(thresholds)
    # No count can exceed its item's number of facilities: the narrowest exact type, fewer
    # fresh pages to fault in and less memory traffic in the kernel.
    per_item = np.bincount(fitem, minlength=n_items)
    narrow = per_item.max(initial=0) < _narrow_limit
    counts = np.zeros((n_org, n_items, n_thr), dtype=np.uint16 if narrow else np.int32)
    nearest = np.full((n_org if with_nearest else 0, n_items), np.inf)
    value = np.zeros((n_org, n_slots, n_thr))
    grp_pop = np.zeros((threads, n_grp, n_thr))
    slack = max(n_org, 4096) if _buffer_slack is None else _buffer_slack
    reach_kernel(
        sg.indptr, sg.nbr, sg.wgt,
        red.seed_ptr, red.seed_node, red.seed_dist,
        red.direct_ptr, red.direct_org, red.direct_dist,
        red.norg_ptr, red.norg_org, red.norg_off,
        single_origins(red.norg_org, red.direct_org, n_org),
        grp_rep, gitem_ptr, gitem, gitem_n.astype(np.int32), gslot_ptr, gslot, gslot_val,
        np.array(thresholds, dtype=np.float64), float(cutoff),
        np.array(population, dtype=np.float64),  # a writable copy: one compiled signature
        counts, nearest, value, grp_pop, n_org + slack,
    )
    return ReachResult(counts=counts, nearest=nearest, value=value,
                       fac_pop=np.cumsum(grp_pop.sum(axis=0), axis=-1)[group_of])


def _group_rows(group: I64, col: I64, n_cols: int, n_grp: int,
                weight: F64 | None) -> tuple[I64, I64, F64]:
    """(group, column) entries merged per group: CSR pointers, columns, and the number of
    entries (or the summed weights) per pair."""
    key = group * n_cols + col
    uniq, where = np.unique(key, return_inverse=True)
    total = np.bincount(where, weights=weight, minlength=len(uniq)).astype(np.float64)
    ptr = np.zeros(n_grp + 1, dtype=np.int64)
    np.cumsum(np.bincount(uniq // n_cols, minlength=n_grp), out=ptr[1:])
    return ptr, (uniq % n_cols).astype(np.int64), total
