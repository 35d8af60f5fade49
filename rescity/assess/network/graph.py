"""The pedestrian network as flat arrays (CSR), built from the reader's way arrays.

Ways are split only at junctions (nodes shared by several ways, and way ends), so chains of
degree-2 nodes become one edge whose polyline is kept for snapping. Lengths are metres in the
UTM zone of the network's median position. The largest connected component is kept, and every
other one at least ``network.min_component_km`` long (an island's town, a part of a city that a
box cut detached): an origin on a detached fragment (a campus path network, a footway not
joined to the streets) would otherwise score zero for reasons that are data errors, but the
residents of an island are not a data error (Malta: Gozo's 556 km of streets were dropped and
its towns reported as unsnapped and "at the edge of the data").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
import shapely

from rescity.assess.adapters.osm_reader import OsmData
from rescity.assess.domain.unique import unique_inverse
from rescity.assess.network.search_graph import SearchGraph, build_search_graph
from rescity.core.errors import DataFileError

log = logging.getLogger(__name__)

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def utm_crs(lon: F64, lat: F64) -> str:
    """EPSG code of the UTM zone of the median point (robust to far-off ferry nodes)."""
    mlon, mlat = float(np.median(lon)), float(np.median(lat))
    zone = int((mlon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if mlat >= 0 else 32700 + zone}"


@dataclass
class WalkNetwork:
    """Undirected walk graph; every array is indexed 0..n-1 (nodes) or 0..m-1 (edges)."""

    crs: str
    x: F64
    y: F64
    node_osm: I64
    edge_u: I64
    edge_v: I64
    edge_len: F64
    geom_ptr: I64
    geom_x: F64
    geom_y: F64
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    @cached_property
    def csr(self) -> tuple[I64, I64, F64]:
        """(indptr, neighbour, length), each edge stored in both directions."""
        src = np.concatenate([self.edge_u, self.edge_v])
        dst = np.concatenate([self.edge_v, self.edge_u])
        w = np.concatenate([self.edge_len, self.edge_len])
        order = np.argsort(src, kind="stable")
        indptr = np.zeros(self.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=self.n_nodes), out=indptr[1:])
        return indptr, np.ascontiguousarray(dst[order]), np.ascontiguousarray(w[order])

    @cached_property
    def lines(self) -> npt.NDArray[np.object_]:
        """Edge polylines (shapely), from u to v, for snapping and output."""
        counts = np.diff(self.geom_ptr)
        idx = np.repeat(np.arange(self.n_edges), counts)
        coords = np.column_stack([self.geom_x, self.geom_y])
        out: npt.NDArray[np.object_] = shapely.linestrings(coords, indices=idx)
        return out

    @cached_property
    def search_graph(self) -> SearchGraph:
        """The branch-node graph the searches run on (dead ends and chains folded in)."""
        return build_search_graph(self.n_nodes, self.edge_u, self.edge_v, self.edge_len)

    @cached_property
    def degree(self) -> I64:
        indptr = self.csr[0]
        return np.diff(indptr)


def morton_order(x: F64, y: F64) -> I64:
    """Indices of the points sorted along a Z-order (Morton) curve."""
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)

    def spread(v: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    span = max(float(np.ptp(x)), float(np.ptp(y)), 1.0)
    qx = ((x - x.min()) / span * 65535).astype(np.uint64)
    qy = ((y - y.min()) / span * 65535).astype(np.uint64)
    out: I64 = np.argsort(spread(qx) | (spread(qy) << np.uint64(1)), kind="stable")
    return out


def _gather_ranges(starts: I64, counts: I64) -> I64:
    """Concatenation of ``arange(s, s + c)`` for each pair, without a Python loop."""
    total = int(counts.sum())
    # One repeat of each range's shift (start minus its place in the output), not two.
    out: I64 = (np.repeat(starts - (np.cumsum(counts) - counts), counts)
                + np.arange(total, dtype=np.int64))
    return out


def assemble(
    crs: str, x: F64, y: F64, node_osm: I64, edge_u: I64, edge_v: I64, edge_len: F64,
    geom_ptr: I64, geom_x: F64, geom_y: F64, *, source: str = "network",
    min_component_m: float = float("inf"),
) -> WalkNetwork:
    """Keep the largest connected component and every other one at least
    ``min_component_m`` long, renumber; report what was dropped."""
    n = len(x)
    if n == 0 or len(edge_u) == 0:
        raise DataFileError(source, "no walkable ways: the extract has no pedestrian network")
    # imported here: a report loads networks (this module) but never assembles one
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    adj = coo_matrix((np.ones(len(edge_u)), (edge_u, edge_v)), shape=(n, n))
    n_comp, labels = connected_components(adj, directed=False)
    sizes = np.bincount(labels)
    comp_len = np.bincount(labels[edge_u], weights=edge_len, minlength=n_comp)
    keep_comp = comp_len >= min_component_m
    keep_comp[int(np.argmax(sizes))] = True
    keep_node = keep_comp[labels]
    keep_edge = keep_node[edge_u]
    new_id = np.cumsum(keep_node) - 1
    counts = np.diff(geom_ptr)[keep_edge]
    vidx = _gather_ranges(geom_ptr[:-1][keep_edge], counts)
    ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    report = {
        "crs": crs,
        "nodes": int(keep_node.sum()),
        "edges": int(keep_edge.sum()),
        "length_km": float(edge_len[keep_edge].sum() / 1000.0),
        "components_kept": int(keep_comp.sum()),
        "components_dropped": int(n_comp - keep_comp.sum()),
        "nodes_dropped": int(n - keep_node.sum()),
        "edges_dropped": int((~keep_edge).sum()),
        "length_dropped_km": float(edge_len[~keep_edge].sum() / 1000.0),
    }
    log.info("walk network: %s", report)
    return WalkNetwork(
        crs=crs,
        x=np.ascontiguousarray(x[keep_node]),
        y=np.ascontiguousarray(y[keep_node]),
        node_osm=np.ascontiguousarray(node_osm[keep_node]),
        edge_u=np.ascontiguousarray(new_id[edge_u[keep_edge]]),
        edge_v=np.ascontiguousarray(new_id[edge_v[keep_edge]]),
        edge_len=np.ascontiguousarray(edge_len[keep_edge]),
        geom_ptr=ptr,
        geom_x=np.ascontiguousarray(geom_x[vidx]),
        geom_y=np.ascontiguousarray(geom_y[vidx]),
        report=report,
    )


def build_network(osm: OsmData, min_component_km: float = 10.0) -> WalkNetwork:
    """Split ways at junctions, measure edges in metres, keep the largest component and the
    others at least ``min_component_km`` long (``network.min_component_km``)."""
    if osm.n_walk_ways == 0:
        raise DataFileError(osm.path, "no walkable ways: the extract has no pedestrian network")
    crs = utm_crs(osm.lon, osm.lat)
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    px, py = to_utm.transform(osm.lon, osm.lat)
    px, py = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)
    n_ref = len(osm.node_ids)
    uniq, inv = unique_inverse(osm.node_ids)
    uses = np.bincount(inv, minlength=len(uniq))
    is_first = np.zeros(n_ref, dtype=bool)
    is_first[osm.way_ptr[:-1]] = True
    is_last = np.zeros(n_ref, dtype=bool)
    is_last[osm.way_ptr[1:] - 1] = True
    breaks = np.flatnonzero(is_first | is_last | (uses[inv] >= 2))
    seg = np.zeros(n_ref, dtype=np.float64)
    seg[:-1] = np.hypot(np.diff(px), np.diff(py))
    seg[is_last] = 0.0  # no segment from a way's last node to the next way's first
    edge_len = np.add.reduceat(seg, breaks)[:-1] if len(breaks) > 1 else np.zeros(0)
    start, end = breaks[:-1], breaks[1:]
    same_way = ~is_last[start]
    start, end, edge_len = start[same_way], end[same_way], edge_len[same_way]
    # Drop zero-length loops (a closed way with a single junction and no extent).
    real = ~((inv[start] == inv[end]) & (edge_len <= 0.0))
    start, end, edge_len = start[real], end[real], edge_len[real]
    node_of_ref = inv
    # The nodes that end an edge, in id order: a mask, not np.unique (whose hash path takes
    # seconds on a million-node network).
    is_used = np.zeros(len(uniq), dtype=bool)
    is_used[node_of_ref[start]] = True
    is_used[node_of_ref[end]] = True
    used = np.flatnonzero(is_used)
    first_pos = np.zeros(len(uniq), dtype=np.int64)
    first_pos[inv[::-1]] = np.arange(n_ref - 1, -1, -1)
    relabel = np.full(len(uniq), -1, dtype=np.int64)
    # Number the nodes along a space-filling curve: nodes near in space get near ids, so a
    # search touches few cache lines and the next search finds many of them still warm.
    used = used[morton_order(px[first_pos[used]], py[first_pos[used]])]
    relabel[used] = np.arange(len(used))
    counts = end - start + 1
    vidx = _gather_ranges(start, counts)
    ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return assemble(
        crs,
        px[first_pos[used]],
        py[first_pos[used]],
        uniq[used],
        relabel[node_of_ref[start]],
        relabel[node_of_ref[end]],
        edge_len,
        ptr,
        px[vidx],
        py[vidx],
        source=osm.path,
        min_component_m=1000.0 * min_component_km,
    )
