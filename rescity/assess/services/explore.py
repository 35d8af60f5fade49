"""Interactive questions about one origin: what it reaches, and its walk area.

The walk area is the part of the street network within the distance, buffered: for each edge,
the stretch reachable from its ``u`` end (``[0, D − d_u]``) and from its ``v`` end
(``[L − (D − d_v), L]``), plus the stretch around the origin on its own edge. It is drawn as a
polygon, as planners draw a 15-minute life circle, but it follows the streets, not a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.ops import substring

from rescity.assess.adapters.result_store import CityResult
from rescity.assess.network.pairs import node_points, pairs_within
from rescity.assess.network.snap import Snapped, Snapper
from rescity.core.errors import NotFound

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@dataclass
class Explorer:
    """Per-city state for the map: snapped origins and facility points, built once."""

    city: CityResult
    origin_snap: Snapped
    facility_snap: Snapped

    @classmethod
    def build(cls, city: CityResult) -> Explorer:
        snapper = Snapper(city.network)
        max_snap = city.config.network.max_snap_m
        osnap = snapper.snap(city.origins["x"].to_numpy(np.float64),
                             city.origins["y"].to_numpy(np.float64), max_snap)
        rep = shapely.point_on_surface(city.facilities.geometry.values)
        fsnap = snapper.snap(shapely.get_x(rep).astype(np.float64),
                             shapely.get_y(rep).astype(np.float64), max_snap)
        return cls(city, osnap, fsnap)

    def _one(self, oid: int) -> Snapped:
        if not 0 <= oid < len(self.city.origins):
            raise NotFound(f"no origin {oid}")
        s = self.origin_snap
        return Snapped(s.edge[oid:oid + 1], s.offset[oid:oid + 1], s.dist[oid:oid + 1])

    def reachable_facilities(self, oid: int, distance: float) -> list[dict[str, Any]]:
        """Facilities within ``distance`` metres of the origin, nearest first."""
        src = self._one(oid)
        if not src.ok[0]:
            return []
        net = self.city.network
        add = self.city.config.network.add_snap_distance
        pairs = pairs_within(net, src, np.zeros(1, np.int64), 1, self.facility_snap, distance,
                             add_snap_distance=add, threads=1)
        fac = self.city.facilities
        by_id = {it.id: it for it in self.city.taxonomy.items}
        out = []
        for f, d in sorted(zip(pairs.target.tolist(), pairs.dist.tolist(), strict=True),
                           key=lambda p: p[1]):
            items = [i for i in str(fac["items"].iat[f] or "").split(";") if i in by_id]
            out.append({"fid": int(f), "name": str(fac["name"].iat[f] or ""),
                        "items": [{"id": i, "zh": by_id[i].zh, "en": by_id[i].en}
                                  for i in items],
                        "distance_m": round(float(d), 1)})
        return out

    def walk_area(self, oid: int, distance: float, *, buffer_m: float = 30.0) -> Any:
        """The reachable street stretches, buffered into a polygon (projected CRS); None when
        the origin is not on the network."""
        src = self._one(oid)
        if not src.ok[0]:
            return None
        net = self.city.network
        leg = float(src.dist[0]) if self.city.config.network.add_snap_distance else 0.0
        pairs = pairs_within(net, src, np.zeros(1, np.int64), 1,
                             node_points(net, np.arange(net.n_nodes)), distance,
                             add_snap_distance=self.city.config.network.add_snap_distance,
                             threads=1)
        d = np.full(net.n_nodes, np.inf)
        d[pairs.target] = pairs.dist
        lines = net.lines
        geoms = []
        for k in np.flatnonzero(np.isfinite(d[net.edge_u]) | np.isfinite(d[net.edge_v])):
            line, length = lines[k], float(shapely.length(lines[k]))
            du, dv = d[net.edge_u[k]], d[net.edge_v[k]]
            if du + dv + length <= 2 * distance:
                geoms.append(line)
                continue
            if np.isfinite(du):
                geoms.append(substring(line, 0.0, min(distance - du, length)))
            if np.isfinite(dv):
                geoms.append(substring(line, max(length - (distance - dv), 0.0), length))
        e, off = int(src.edge[0]), float(src.offset[0])
        rest = max(distance - leg, 0.0)
        geoms.append(substring(lines[e], max(off - rest, 0.0),
                               min(off + rest, float(shapely.length(lines[e])))))
        return shapely.union_all(shapely.buffer(np.array(geoms, dtype=object), buffer_m,
                                                quad_segs=4))
