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

from rescity.assess.network._graph import (
    branch_graph,
    reduce,
    regions,
    simple_csr,
)

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


def build_search_graph(n: int, edge_u: I64, edge_v: I64, edge_len: F64) -> SearchGraph:
    """Branch nodes keep the walk network's order (a space-filling curve, ``graph.py``)."""
    s_indptr, s_nbr, s_wgt = simple_csr(n, np.asarray(edge_u, np.int64),
                                        np.asarray(edge_v, np.int64),
                                        np.asarray(edge_len, np.float64))
    ok, branch, nb, exit_node, exit_dist, cu, cv, cw = regions(s_indptr, s_nbr, s_wgt)
    if not ok:  # pragma: no cover - a graph the peeling did not decompose: search it whole
        branch = np.arange(n, dtype=np.int64)
        nb = n
        exit_node = np.full((n, 2), -1, dtype=np.int64)
        exit_dist = np.full((n, 2), np.inf)
        cu = cv = np.zeros(0, np.int64)
        cw = np.zeros(0)
    indptr, nbr, wgt = branch_graph(s_indptr, s_nbr, s_wgt, branch, int(nb), cu, cv, cw)
    return SearchGraph(indptr, nbr, wgt, branch, exit_node, exit_dist,
                       s_indptr, s_nbr, s_wgt)


def reduce_attachments(
    sg: SearchGraph, seed_ptr: I64, seed_node: I64, seed_dist: F64,
    direct_ptr: I64, direct_org: I64, direct_dist: F64,
    norg_ptr: I64, norg_org: I64, norg_off: F64, cutoff: float,
) -> tuple[Any, ...]:
    """The same problem on the branch-node graph: seeds and origin attachments moved to the
    exits, pairs inside a region added as direct pairs (arrays in the order given)."""
    out: tuple[Any, ...] = reduce(
        sg.branch, sg.exit_node, sg.exit_dist,
        sg.simple_indptr, sg.simple_nbr, sg.simple_wgt,
        seed_ptr, seed_node, seed_dist, direct_ptr, direct_org, direct_dist,
        norg_ptr, norg_org, norg_off, float(cutoff))
    return out
