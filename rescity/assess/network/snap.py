"""Snap points to the nearest street edge (not node), with a maximum distance.

Snapping to edges keeps the distance along the street from the snapped point to both ends,
so a house in the middle of a 400 m block is not moved to a corner. Points farther than the
maximum are reported as unsnapped, never silently given distance zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from rescity.assess.network.graph import WalkNetwork

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass
class Snapped:
    """Per point: edge (-1 when unsnapped), offset from the edge's u end, perpendicular leg."""

    edge: I64
    offset: F64
    dist: F64

    @property
    def ok(self) -> npt.NDArray[np.bool_]:
        return self.edge >= 0


class Snapper:
    """An STR-tree over the network's edge polylines, built once per network."""

    def __init__(self, net: WalkNetwork) -> None:
        self.net = net
        self.tree = shapely.STRtree(net.lines)

    def snap(self, x: F64, y: F64, max_dist: float) -> Snapped:
        n = len(x)
        edge = np.full(n, -1, dtype=np.int64)
        offset = np.full(n, np.nan)
        dist = np.full(n, np.nan)
        if n == 0:
            return Snapped(edge, offset, dist)
        pts = shapely.points(x, y)
        (src, tgt), d = self.tree.query_nearest(
            pts, max_distance=max_dist, return_distance=True, all_matches=False
        )
        edge[src] = tgt
        dist[src] = d
        off = shapely.line_locate_point(self.net.lines[tgt], pts[src])
        offset[src] = np.clip(off, 0.0, self.net.edge_len[tgt])
        return Snapped(edge, offset, dist)
