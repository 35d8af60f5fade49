"""A smaller graph for the searches: the 2-core of the walk network with its chains contracted.

Most of a city's walk nodes lie on dead-end trees (cul-de-sacs, footpath stubs) or on chains
between two junctions. A shortest path can only enter such a *region* through its one or two
*exits*, so the searches need not settle its nodes one by one: they run on the *branch* nodes
only (2-core nodes with ≠ 2 core neighbours), with one edge per chain, and every point in a
region is attached to its exits with its distance to them. Pairs inside one region are found
by a walk along the region, which is a tree, so its paths are unique. The distances are
exactly those of the full graph (the exits are the only ways in or out).

On Malta's network this halves the nodes a search settles (30,854 → ~16,000 branch nodes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SearchGraph:
    """Branch-node graph (CSR) and the way from every walk node to it.

    ``branch[x]`` is x's branch-node id or -1; for other nodes ``exit_node[x, k]`` (k < 2,
    -1 when unused) is an exit's branch id and ``exit_dist[x, k]`` the distance to it.
    ``simple_*`` is the full graph
    without self-loops and parallel edges, for the walks inside regions.
    """

    indptr: I64
    nbr: I64
    wgt: F64
    branch: I64
    exit_node: I64
    exit_dist: F64
    simple_indptr: I64
    simple_nbr: I64
    simple_wgt: F64

    @property
    def n_branch(self) -> int:
        return len(self.indptr) - 1


@njit(cache=True)
def simple_csr(n: int, u: Any, v: Any, w: Any) -> Any:  # pragma: no cover - compiled
    """CSR of an undirected graph without self-loops, keeping the shortest of parallel edges
    (neither can shorten a path); a counting sort, O(n + m)."""
    deg = np.zeros(n + 1, dtype=np.int64)
    for k in range(len(u)):
        if u[k] != v[k]:
            deg[u[k] + 1] += 1
            deg[v[k] + 1] += 1
    ptr = np.cumsum(deg)
    fill = ptr[:-1].copy()
    nb = np.empty(ptr[-1], dtype=np.int64)
    wt = np.empty(ptr[-1])
    for k in range(len(u)):
        a, b = u[k], v[k]
        if a != b:
            nb[fill[a]] = b
            wt[fill[a]] = w[k]
            fill[a] += 1
            nb[fill[b]] = a
            wt[fill[b]] = w[k]
            fill[b] += 1
    # Merge parallel edges in place, node by node, with a "last seen at" marker.
    mark = np.full(n, -1, dtype=np.int64)
    at = np.empty(n, dtype=np.int64)
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    j = 0
    for x in range(n):
        for k in range(ptr[x], ptr[x + 1]):
            y = nb[k]
            if mark[y] == x:
                if wt[k] < wt[at[y]]:
                    wt[at[y]] = wt[k]
            else:
                mark[y] = x
                at[y] = j
                nb[j] = y
                wt[j] = wt[k]
                j += 1
        out_ptr[x + 1] = j
    return out_ptr, nb[:j], wt[:j]  # views: a copy would cost fresh pages for nothing


@njit(cache=True)
def _regions(indptr: Any, nbr: Any, wgt: Any) -> Any:  # pragma: no cover - compiled
    n = len(indptr) - 1
    # 1. Peel dead-end trees: what is left is the 2-core.
    deg = np.empty(n, dtype=np.int64)
    for x in range(n):
        deg[x] = indptr[x + 1] - indptr[x]
    alive = np.ones(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    top = 0
    for x in range(n):
        if deg[x] <= 1:
            stack[top] = x
            top += 1
    while top > 0:
        top -= 1
        x = stack[top]
        if not alive[x]:
            continue
        alive[x] = False
        for k in range(indptr[x], indptr[x + 1]):
            v = nbr[k]
            if alive[v]:
                deg[v] -= 1
                if deg[v] == 1:
                    stack[top] = v
                    top += 1
    # 2. Branch nodes: core nodes whose core degree is not 2. A core that is one cycle, or a
    # graph that is a tree, has none: one node is promoted so that every region has an exit.
    is_branch = np.zeros(n, dtype=np.bool_)
    n_branch = 0
    for x in range(n):
        if alive[x] and deg[x] != 2:
            is_branch[x] = True
            n_branch += 1
    if n_branch == 0 and n > 0:
        first = 0
        for x in range(n):
            if alive[x]:
                first = x
                break
        is_branch[first] = True
    branch = np.full(n, -1, dtype=np.int64)
    nb = 0
    for x in range(n):
        if is_branch[x]:
            branch[x] = nb
            nb += 1
    # 3. Regions: components of the rest (trees), each with one or two boundary edges.
    region = np.full(n, -1, dtype=np.int64)
    exit_node = np.full((n, 2), -1, dtype=np.int64)
    exit_dist = np.full((n, 2), np.inf)
    dstack = np.empty(n, dtype=np.int64)
    pstack = np.empty(n, dtype=np.int64)
    fstack = np.empty(n, dtype=np.float64)
    members = np.empty(n, dtype=np.int64)
    chain_u = np.empty(n, dtype=np.int64)
    chain_v = np.empty(n, dtype=np.int64)
    chain_w = np.empty(n, dtype=np.float64)
    n_chain = 0
    n_region = 0
    ok = True
    b_in = np.full(3, -1, dtype=np.int64)
    b_out = np.full(3, -1, dtype=np.int64)
    b_w = np.zeros(3)
    for s in range(n):
        if is_branch[s] or region[s] >= 0:
            continue
        # Collect the region's nodes and boundary edges (region node, branch node, length).
        m = 0
        region[s] = n_region
        members[m] = s
        m += 1
        head = 0
        nbd = 0
        while head < m:
            x = members[head]
            head += 1
            for k in range(indptr[x], indptr[x + 1]):
                v = nbr[k]
                if is_branch[v]:
                    if nbd < 3:
                        b_in[nbd] = x
                        b_out[nbd] = branch[v]
                        b_w[nbd] = wgt[k]
                    nbd += 1
                elif region[v] < 0:
                    region[v] = n_region
                    members[m] = v
                    m += 1
        inner = 0
        for i in range(m):
            x = members[i]
            for k in range(indptr[x], indptr[x + 1]):
                if not is_branch[nbr[k]]:
                    inner += 1
        if nbd == 0 or nbd > 2 or inner != 2 * (m - 1):
            ok = False  # not a tree with one or two exits: cannot happen, but never loop
            break
        # Distances to each exit: a walk over the region tree from the boundary node.
        for b in range(nbd):
            top = 0
            dstack[0] = b_in[b]
            pstack[0] = -1
            fstack[0] = b_w[b]
            top = 1
            while top > 0:
                top -= 1
                x = dstack[top]
                parent = pstack[top]
                d = fstack[top]
                exit_node[x, b] = b_out[b]
                exit_dist[x, b] = d
                for k in range(indptr[x], indptr[x + 1]):
                    v = nbr[k]
                    if v != parent and not is_branch[v]:
                        dstack[top] = v
                        pstack[top] = x
                        fstack[top] = d + wgt[k]
                        top += 1
        if nbd == 2 and b_out[0] != b_out[1]:
            chain_u[n_chain] = b_out[0]
            chain_v[n_chain] = b_out[1]
            chain_w[n_chain] = exit_dist[b_in[0], 1] + b_w[0]
            n_chain += 1
        n_region += 1
    return ok, branch, nb, exit_node, exit_dist, chain_u[:n_chain], chain_v[:n_chain], \
        chain_w[:n_chain]


def build_search_graph(n: int, edge_u: I64, edge_v: I64, edge_len: F64) -> SearchGraph:
    """Branch nodes keep the walk network's order (a space-filling curve, ``graph.py``)."""
    s_indptr, s_nbr, s_wgt = simple_csr(n, np.asarray(edge_u, np.int64),
                                        np.asarray(edge_v, np.int64),
                                        np.asarray(edge_len, np.float64))
    ok, branch, nb, exit_node, exit_dist, cu, cv, cw = _regions(s_indptr, s_nbr, s_wgt)
    if not ok:  # pragma: no cover - a graph the peeling did not decompose: search it whole
        branch = np.arange(n, dtype=np.int64)
        nb = n
        exit_node = np.full((n, 2), -1, dtype=np.int64)
        exit_dist = np.full((n, 2), np.inf)
        cu = cv = np.zeros(0, np.int64)
        cw = np.zeros(0)
    indptr, nbr, wgt = _branch_graph(s_indptr, s_nbr, s_wgt, branch, int(nb), cu, cv, cw)
    return SearchGraph(indptr, nbr, wgt, branch, exit_node, exit_dist,
                       s_indptr, s_nbr, s_wgt)


@njit(cache=True)
def _branch_graph(s_indptr: Any, s_nbr: Any, s_wgt: Any, branch: Any, nb: int,
                  cu: Any, cv: Any, cw: Any) -> Any:  # pragma: no cover - compiled
    """Branch-to-branch edges and one edge per chain, as a CSR written in place: the
    shortest of parallel edges is kept (a chain may run beside an edge or another chain)."""
    n = len(branch)
    ptr = np.zeros(nb + 1, dtype=np.int64)
    for x in range(n):
        bx = branch[x]
        if bx >= 0:
            c = 0
            for k in range(s_indptr[x], s_indptr[x + 1]):
                if branch[s_nbr[k]] >= 0:
                    c += 1
            ptr[bx + 1] = c
    for i in range(len(cu)):
        ptr[cu[i] + 1] += 1
        ptr[cv[i] + 1] += 1
    for i in range(nb):
        ptr[i + 1] += ptr[i]
    nbr = np.empty(ptr[nb], dtype=np.int64)
    wgt = np.empty(ptr[nb])
    fill = ptr[:-1].copy()
    for x in range(n):
        bx = branch[x]
        if bx >= 0:
            for k in range(s_indptr[x], s_indptr[x + 1]):
                by = branch[s_nbr[k]]
                if by >= 0:
                    nbr[fill[bx]] = by
                    wgt[fill[bx]] = s_wgt[k]
                    fill[bx] += 1
    for i in range(len(cu)):
        a, b = cu[i], cv[i]
        nbr[fill[a]] = b
        wgt[fill[a]] = cw[i]
        fill[a] += 1
        nbr[fill[b]] = a
        wgt[fill[b]] = cw[i]
        fill[b] += 1
    # Merge parallel edges in place, node by node, with a "last seen at" marker.
    mark = np.full(nb, -1, dtype=np.int64)
    at = fill  # reused
    j = 0
    lo = 0
    for x in range(nb):
        hi = ptr[x + 1]
        for k in range(lo, hi):
            y = nbr[k]
            if mark[y] == x:
                if wgt[k] < wgt[at[y]]:
                    wgt[at[y]] = wgt[k]
            else:
                mark[y] = x
                at[y] = j
                nbr[j] = y
                wgt[j] = wgt[k]
                j += 1
        lo = hi
        ptr[x + 1] = j
    return ptr, nbr[:j], wgt[:j]


@njit(cache=True)
def _reduce(
    branch: Any, exit_node: Any, exit_dist: Any,
    s_indptr: Any, s_nbr: Any, s_wgt: Any,
    seed_ptr: Any, seed_node: Any, seed_dist: Any,
    direct_ptr: Any, direct_org: Any, direct_dist: Any,
    norg_ptr: Any, norg_org: Any, norg_off: Any, cutoff: float,
) -> Any:  # pragma: no cover - compiled
    n = len(branch)
    n_src = len(seed_ptr) - 1
    # Seeds: a seed on a region node becomes one seed per exit.
    cap = 2 * len(seed_node) + 1
    o_seed_ptr = np.zeros(n_src + 1, dtype=np.int64)
    o_seed_node = np.empty(cap, dtype=np.int64)
    o_seed_dist = np.empty(cap)
    k2 = 0
    for f in range(n_src):
        for k in range(seed_ptr[f], seed_ptr[f + 1]):
            x = seed_node[k]
            if branch[x] >= 0:
                o_seed_node[k2] = branch[x]
                o_seed_dist[k2] = seed_dist[k]
                k2 += 1
            else:
                for e in range(2):
                    if exit_node[x, e] >= 0 and seed_dist[k] + exit_dist[x, e] <= cutoff:
                        o_seed_node[k2] = exit_node[x, e]
                        o_seed_dist[k2] = seed_dist[k] + exit_dist[x, e]
                        k2 += 1
        o_seed_ptr[f + 1] = k2
    # Origins attached to nodes: to the branch node, or to each exit of a region node.
    nb = 0
    for x in range(n):
        if branch[x] >= 0:
            nb += 1
    cnt = np.zeros(nb + 1, dtype=np.int64)
    for x in range(n):
        m = norg_ptr[x + 1] - norg_ptr[x]
        if m == 0:
            continue
        if branch[x] >= 0:
            cnt[branch[x] + 1] += m
        else:
            for e in range(2):
                if exit_node[x, e] >= 0:
                    cnt[exit_node[x, e] + 1] += m
    o_norg_ptr = np.cumsum(cnt)
    fill = o_norg_ptr[:-1].copy()
    o_norg_org = np.empty(o_norg_ptr[-1], dtype=np.int64)
    o_norg_off = np.empty(o_norg_ptr[-1])
    for x in range(n):
        for k in range(norg_ptr[x], norg_ptr[x + 1]):
            if branch[x] >= 0:
                r = branch[x]
                o_norg_org[fill[r]] = norg_org[k]
                o_norg_off[fill[r]] = norg_off[k]
                fill[r] += 1
            else:
                for e in range(2):
                    r = exit_node[x, e]
                    if r >= 0:
                        o_norg_org[fill[r]] = norg_org[k]
                        o_norg_off[fill[r]] = norg_off[k] + exit_dist[x, e]
                        fill[r] += 1
    # Pairs inside one region: walk the region tree from each seed on it.
    dcap = len(direct_org) + 1024
    o_direct_ptr = np.zeros(n_src + 1, dtype=np.int64)
    o_direct_org = np.empty(dcap, dtype=np.int64)
    o_direct_dist = np.empty(dcap)
    stack_n = np.empty(n, dtype=np.int64)
    stack_p = np.empty(n, dtype=np.int64)
    stack_d = np.empty(n)
    j = 0
    for f in range(n_src):
        need = j + (direct_ptr[f + 1] - direct_ptr[f])
        if need > dcap:
            dcap = 2 * need
            o_direct_org = _grow_i(o_direct_org, dcap)
            o_direct_dist = _grow_f(o_direct_dist, dcap)
        for k in range(direct_ptr[f], direct_ptr[f + 1]):
            o_direct_org[j] = direct_org[k]
            o_direct_dist[j] = direct_dist[k]
            j += 1
        for k in range(seed_ptr[f], seed_ptr[f + 1]):
            x0 = seed_node[k]
            if branch[x0] >= 0 or seed_dist[k] > cutoff:
                continue
            stack_n[0] = x0
            stack_p[0] = -1
            stack_d[0] = seed_dist[k]
            top = 1
            while top > 0:
                top -= 1
                x = stack_n[top]
                parent = stack_p[top]
                d = stack_d[top]
                for q in range(norg_ptr[x], norg_ptr[x + 1]):
                    dd = d + norg_off[q]
                    if dd <= cutoff:
                        if j == dcap:
                            dcap *= 2
                            o_direct_org = _grow_i(o_direct_org, dcap)
                            o_direct_dist = _grow_f(o_direct_dist, dcap)
                        o_direct_org[j] = norg_org[q]
                        o_direct_dist[j] = dd
                        j += 1
                for q in range(s_indptr[x], s_indptr[x + 1]):
                    v = s_nbr[q]
                    nd = d + s_wgt[q]
                    if v != parent and branch[v] < 0 and nd <= cutoff:
                        stack_n[top] = v
                        stack_p[top] = x
                        stack_d[top] = nd
                        top += 1
        o_direct_ptr[f + 1] = j
    return (o_seed_ptr, o_seed_node[:k2].copy(), o_seed_dist[:k2].copy(),
            o_direct_ptr, o_direct_org[:j].copy(), o_direct_dist[:j].copy(),
            o_norg_ptr, o_norg_org, o_norg_off)


@njit(cache=True)
def _grow_i(a: Any, cap: int) -> Any:  # pragma: no cover - compiled
    out = np.empty(cap, dtype=np.int64)
    out[:len(a)] = a
    return out


@njit(cache=True)
def _grow_f(a: Any, cap: int) -> Any:  # pragma: no cover - compiled
    out = np.empty(cap)
    out[:len(a)] = a
    return out


def reduce_attachments(
    sg: SearchGraph, seed_ptr: I64, seed_node: I64, seed_dist: F64,
    direct_ptr: I64, direct_org: I64, direct_dist: F64,
    norg_ptr: I64, norg_org: I64, norg_off: F64, cutoff: float,
) -> tuple[Any, ...]:
    """The same problem on the branch-node graph: seeds and origin attachments moved to the
    exits, pairs inside a region added as direct pairs (arrays in the order given)."""
    out: tuple[Any, ...] = _reduce(
        sg.branch, sg.exit_node, sg.exit_dist,
        sg.simple_indptr, sg.simple_nbr, sg.simple_wgt,
        seed_ptr, seed_node, seed_dist, direct_ptr, direct_org, direct_dist,
        norg_ptr, norg_org, norg_off, float(cutoff))
    return out
