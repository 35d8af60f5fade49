"""Stop places: the poles, platforms and stop positions of one stop counted once.

OSM maps one bus stop as several objects (a pole, a platform on each side, stop positions on
the road), and a target such as "4 stops within 500 m" would be met by two real stops. Objects
of the same transport item are merged into one stop place when

1. they are members of the same ``public_transport=stop_area`` relation; or
2. they carry the same name and lie within ``facilities.stop_same_name_m`` of each other
   (the two directions of a stop, across the street); or
3. one of them has no name and they lie within ``facilities.stop_unnamed_m``.

A stop place stands at the mean of its members and keeps the first member's OSM id; the
number of members is kept in ``members``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from rescity.assess.adapters.osm_reader import Feature, OsmData
from rescity.assess.domain.config import AssessConfig
from rescity.assess.domain.taxonomy import Taxonomy


def _norm(name: str) -> str:
    return " ".join(name.lower().split())


def merge_stop_places(osm: OsmData, taxonomy: Taxonomy, crs: str,
                      config: AssessConfig) -> tuple[list[Feature], list[int]]:
    """The reader's facilities with stop objects merged; and each facility's member count."""
    feats = osm.facilities
    fc = config.facilities
    wanted = {taxonomy.index(i) for i in fc.stop_place_items if i in taxonomy.ids}
    cand = [k for k, f in enumerate(feats) if f.items and set(f.items) <= wanted]
    if len(cand) < 2:
        return list(feats), [1] * len(feats)
    pts = [feats[k].geometry.centroid for k in cand]
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        np.array([p.x for p in pts]), np.array([p.y for p in pts]))
    xy = np.column_stack([x, y])
    names = [_norm(feats[k].name) for k in cand]
    kinds = [tuple(feats[k].items) for k in cand]
    rows: list[int] = []
    cols: list[int] = []
    reach = max(fc.stop_same_name_m, fc.stop_unnamed_m)
    for a, b in cKDTree(xy).query_pairs(reach, output_type="ndarray"):
        if kinds[a] != kinds[b]:
            continue
        d = float(np.hypot(*(xy[a] - xy[b])))
        same_name = names[a] != "" and names[a] == names[b] and d <= fc.stop_same_name_m
        unnamed = (names[a] == "" or names[b] == "") and d <= fc.stop_unnamed_m
        if same_name or unnamed:
            rows.append(int(a))
            cols.append(int(b))
    pos = {(feats[k].osm_type, feats[k].osm_id): i for i, k in enumerate(cand)}
    for area in osm.stop_areas:
        first_of: dict[tuple[int, ...], int] = {}
        for m in area:
            if m in pos:
                i = pos[m]
                head = first_of.setdefault(kinds[i], i)
                rows.append(head)
                cols.append(i)
    n = len(cand)
    graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    groups: dict[int, list[int]] = {}
    for i, g in enumerate(label):
        groups.setdefault(int(g), []).append(i)
    in_cand = set(cand)
    out = [f for k, f in enumerate(feats) if k not in in_cand]
    counts = [1] * len(out)
    for members in groups.values():
        first = feats[cand[members[0]]]
        if len(members) == 1:
            out.append(first)
            counts.append(1)
            continue
        lon = float(np.mean([pts[i].x for i in members]))
        lat = float(np.mean([pts[i].y for i in members]))
        named = Counter(feats[cand[i]].name for i in members if feats[cand[i]].name)
        name = named.most_common(1)[0][0] if named else ""
        out.append(Feature(first.osm_type, first.osm_id, name, shapely.Point(lon, lat),
                           list(first.items)))
        counts.append(len(members))
    return out, counts
