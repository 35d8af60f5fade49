"""Facilities: classified OSM objects, projected, with access points snapped to streets.

A point facility has one access point. A polygon (park, campus, market hall) gets candidate
points every ``access_point_spacing_m`` along its outline; those within the snap distance of a
street are kept, thinned evenly to ``max_access_points``. All of them seed one search, so the
polygon keeps one identity and its area.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from rescity.assess.adapters.osm_reader import OsmData
from rescity.assess.domain.config import AssessConfig
from rescity.assess.domain.taxonomy import Taxonomy
from rescity.assess.network.snap import Snapped, Snapper
from rescity.assess.services.stop_places import merge_stop_places

I64 = npt.NDArray[np.int64]


@dataclass
class FacilitySet:
    gdf: gpd.GeoDataFrame
    items: list[list[int]]
    access: Snapped
    access_fac: I64


def _thin(fac: I64, keep_max: int) -> npt.NDArray[np.bool_]:
    """Keep at most ``keep_max`` evenly spaced entries per facility (``fac`` sorted)."""
    if len(fac) == 0:
        return np.zeros(0, dtype=bool)
    starts = np.r_[0, np.flatnonzero(np.diff(fac)) + 1]
    counts = np.diff(np.r_[starts, len(fac)])
    rank = np.arange(len(fac)) - np.repeat(starts, counts)
    c = np.repeat(counts, counts)
    bucket = rank * keep_max // c
    prev = (rank - 1) * keep_max // c
    out: npt.NDArray[np.bool_] = (rank == 0) | (bucket != prev)
    return out


def access_points(
    geoms: npt.NDArray[np.object_], snapper: Snapper, config: AssessConfig
) -> tuple[Snapped, I64]:
    """Snapped access points of projected facility geometries, and their facility index."""
    is_poly = np.asarray(shapely.get_dimensions(geoms) == 2)
    outlines = shapely.segmentize(shapely.boundary(geoms[is_poly]),
                                  config.network.access_point_spacing_m)
    coords, idx = shapely.get_coordinates(outlines, return_index=True)
    poly_ids = np.flatnonzero(is_poly)[idx]
    pt_all = np.flatnonzero(~is_poly)
    pt_xy, pidx = shapely.get_coordinates(shapely.centroid(geoms[pt_all]), return_index=True)
    pt_ids = pt_all[pidx]
    cand_fac = np.concatenate([pt_ids, poly_ids]).astype(np.int64)
    cand_xy = np.concatenate([pt_xy, coords]) if len(coords) else pt_xy
    order = np.argsort(cand_fac, kind="stable")
    cand_fac, cand_xy = cand_fac[order], cand_xy[order]
    # A forest's outline can give thousands of candidates; snapping is the costly part, so
    # keep four times the wanted number, evenly spread, before snapping.
    pre = _thin(cand_fac, 4 * config.network.max_access_points)
    cand_fac, cand_xy = cand_fac[pre], cand_xy[pre]
    snapped = snapper.snap(cand_xy[:, 0], cand_xy[:, 1], config.network.max_snap_m)
    ok = snapped.ok
    keep = np.zeros(len(cand_fac), dtype=bool)
    keep[ok] = _thin(cand_fac[ok], config.network.max_access_points)
    access = Snapped(snapped.edge[keep], snapped.offset[keep], snapped.dist[keep])
    return access, cand_fac[keep]


def build_facilities(
    osm: OsmData, taxonomy: Taxonomy, crs: str, snapper: Snapper, config: AssessConfig
) -> FacilitySet:
    """Project the reader's facilities (stops merged into stop places), measure polygon
    areas, snap access points."""
    feats, members = merge_stop_places(osm, taxonomy, crs, config)
    ids = taxonomy.ids
    # Few distinct item lists among many facilities: each joined once.
    joined: dict[tuple[int, ...], str] = {}
    items = []
    for f in feats:
        key = tuple(f.items)
        text = joined.get(key)
        if text is None:
            text = joined[key] = ";".join(ids[i] for i in key)
        items.append(text)
    gdf = gpd.GeoDataFrame(
        {
            "fid": np.arange(len(feats), dtype=np.int64),
            "osm_type": [f.osm_type for f in feats],
            "osm_id": np.array([f.osm_id for f in feats], dtype=np.int64),
            "name": [f.name for f in feats],
            "items": items,
            "members": np.array(members, dtype=np.int64),
        },
        geometry=[f.geometry for f in feats],
        crs="EPSG:4326",
    ).to_crs(crs)
    geoms = gdf.geometry.values
    is_poly = np.asarray(shapely.get_dimensions(geoms) == 2)
    gdf["area_m2"] = np.where(is_poly, shapely.area(geoms), 0.0)
    access, access_fac = access_points(np.asarray(geoms, dtype=object), snapper, config)
    n_access = np.bincount(access_fac, minlength=len(gdf))
    snap_d = np.full(len(gdf), np.nan)
    np.fmin.at(snap_d, access_fac, access.dist)
    gdf["access_points"] = n_access
    gdf["snapped"] = n_access > 0
    gdf["snap_dist_m"] = snap_d
    return FacilitySet(gdf, [list(f.items) for f in feats], access, access_fac)
