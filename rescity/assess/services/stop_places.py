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

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from rescity.assess.adapters.osm_reader import Feature, OsmData
from rescity.assess.domain.config import AssessConfig
from rescity.assess.domain.taxonomy import Taxonomy

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def _norm(name: str) -> str:
    return " ".join(name.lower().split())


def _first_most_common(group: npt.NDArray[np.int64], code: npt.NDArray[np.int64],
                       n_groups: int) -> npt.NDArray[np.int64]:
    """Per group, the code seen most often, ties to the one seen first (``Counter``'s
    ``most_common(1)``); -1 for a group without codes. ``group`` is sorted, entries in order."""
    out = np.full(n_groups, -1, dtype=np.int64)
    if len(group) == 0:
        return out
    key = group * (int(code.max()) + 1) + code
    _, first, count = np.unique(key, return_index=True, return_counts=True)
    g = group[first]
    best = np.lexsort((first, -count, g))  # by group, most seen, then first seen
    head = np.r_[True, g[best][1:] != g[best][:-1]]
    out[g[best][head]] = code[first][best][head]
    return out


def _group_means(values: F64, starts: I64, sizes: I64) -> F64:
    """``np.mean`` of each run ``values[s:s + n]``, bit for bit: runs of fewer than 8 add
    left to right (as numpy does), so all of them at once; longer ones (numpy then sums
    pairwise) one by one."""
    out = np.zeros(len(starts))
    short = sizes < 8
    for k in range(int(sizes[short].max()) if short.any() else 0):
        take = short & (sizes > k)
        out[take] += values[starts[take] + k]
    out[short] /= sizes[short]
    for i in np.flatnonzero(~short):
        out[i] = float(np.mean(values[starts[i]:starts[i] + sizes[i]]))
    return out


def merge_stop_places(osm: OsmData, taxonomy: Taxonomy, crs: str,
                      config: AssessConfig) -> tuple[list[Feature], list[int]]:
    """The reader's facilities with stop objects merged; and each facility's member count."""
    feats = osm.facilities
    fc = config.facilities
    wanted = {taxonomy.index(i) for i in fc.stop_place_items if i in taxonomy.ids}
    cand = [k for k, f in enumerate(feats) if f.items and set(f.items) <= wanted]
    if len(cand) < 2:
        return list(feats), [1] * len(feats)
    pts = shapely.centroid(np.array([feats[k].geometry for k in cand], dtype=object))
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    xy = np.column_stack([x, y])
    names = [_norm(feats[k].name) for k in cand]
    kinds = [tuple(feats[k].items) for k in cand]
    # Names and kinds as integer codes (0 for no name), so the pair rules run on arrays.
    name_code = np.array(pd.factorize(np.array(["", *names], dtype=object))[0][1:],
                         dtype=np.int64)
    kind_code = np.asarray(pd.factorize(pd.Series(kinds, dtype=object))[0], dtype=np.int64)
    reach = max(fc.stop_same_name_m, fc.stop_unnamed_m)
    pairs = cKDTree(xy).query_pairs(reach, output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    d = np.hypot(xy[a, 0] - xy[b, 0], xy[a, 1] - xy[b, 1])
    na, nb = name_code[a], name_code[b]
    same_name = (na != 0) & (na == nb) & (d <= fc.stop_same_name_m)
    unnamed = ((na == 0) | (nb == 0)) & (d <= fc.stop_unnamed_m)
    link = (kind_code[a] == kind_code[b]) & (same_name | unnamed)
    rows: list[int] = a[link].tolist()
    cols: list[int] = b[link].tolist()
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
    # Groups in the order of their first member; members in index order.
    _, first_at = np.unique(label, return_index=True)
    rank = np.empty(len(first_at), dtype=np.int64)
    rank[np.argsort(first_at, kind="stable")] = np.arange(len(first_at))
    group = rank[label]
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    heads = order[starts]
    mlon = _group_means(lon[order], starts, sizes)
    mlat = _group_means(lat[order], starts, sizes)
    # The most common name among each group's named members (ties to the first), by codes.
    raw = [feats[cand[i]].name for i in order.tolist()]
    codes, uniq_names = pd.factorize(np.array(raw, dtype=object))
    has = np.array([r != "" for r in raw], dtype=bool)
    best = _first_most_common(group[order][has], np.asarray(codes, dtype=np.int64)[has],
                              len(sizes))
    in_cand = set(cand)
    out = [f for k, f in enumerate(feats) if k not in in_cand]
    counts = [1] * len(out)
    points = shapely.points(mlon, mlat)
    for g, (h, size) in enumerate(zip(heads.tolist(), sizes.tolist(), strict=True)):
        first = feats[cand[h]]
        if size == 1:
            out.append(first)
            counts.append(1)
            continue
        name = str(uniq_names[best[g]]) if best[g] >= 0 else ""
        out.append(Feature(first.osm_type, first.osm_id, name, points[g], list(first.items)))
        counts.append(size)
    return out, counts
