"""Dwellings and their floor area: the building side of the population estimate.

Only dwellings hold residents. A building counts when its type is a dwelling type
(``apartments``, ``house`` …), or when it is a plain ``building=yes`` with residential evidence:
it stands in residential land or says ``building:use=residential``, carries no tag of another
use (shop, office, amenity, historic …) and is no smaller than a shed
(``origins.min_dwelling_footprint_m2``). Garages, sheds, barns, roofs, commercial, industrial,
religious and public buildings never count.

Storeys come from ``building:levels`` (or ``height`` at 3 m a storey); where neither is
tagged, from the median of the nearest tagged dwellings of the same kind around (houses apart
from blocks; ``origins.neighbour_levels_m``, at least ``origins.neighbour_levels_min`` of
them), else ``origins.house_levels`` for houses and ``origins.default_levels`` for the rest.
A dwelling with a shop, office or other service mapped inside (or tagged on it) keeps its
ground floor for them (``origins.mixed_use_ground_floor``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from scipy.spatial import cKDTree

from rescity.assess.adapters.osm_reader import RESIDENTIAL_BUILDINGS, OsmData
from rescity.assess.domain.config import AssessConfig

NEIGHBOURS = 10  # tagged dwellings looked at around an untagged one
HOUSES = frozenset({"house", "detached", "semidetached_house", "terrace", "bungalow", "farm",
                    "cabin", "static_caravan", "houseboat"})


def buildings_frame(osm: OsmData, crs: str) -> gpd.GeoDataFrame:
    """Every mapped building, projected, with its footprint."""
    b = osm.buildings
    gdf = gpd.GeoDataFrame(
        {
            "osm_type": [f.osm_type for f in b],
            "osm_id": np.array([f.osm_id for f in b], dtype=np.int64),
            "name": [f.name for f in b],
            "building": [f.building for f in b],
            "use": [f.use for f in b],
            "levels": np.array([f.levels for f in b], dtype=np.float64),
        },
        geometry=[f.geometry for f in b],
        crs="EPSG:4326",
    ).to_crs(crs)
    gdf["footprint_m2"] = gdf.geometry.area
    return gdf


def in_areas(geoms: gpd.GeoSeries, areas: gpd.GeoSeries) -> npt.NDArray[np.bool_]:
    """Whether each geometry's representative point lies in one of ``areas``."""
    inside = np.zeros(len(geoms), dtype=bool)
    if len(geoms) and len(areas):
        tree = shapely.STRtree(areas.values)
        idx, _ = tree.query(geoms.representative_point().values, predicate="within")
        inside[idx] = True
    return inside


def dwelling_mask(bld: gpd.GeoDataFrame, in_residential: npt.NDArray[np.bool_],
                  config: AssessConfig) -> npt.NDArray[np.bool_]:
    """Which buildings are dwellings (see the module docstring)."""
    typed = bld["building"].isin(RESIDENTIAL_BUILDINGS).to_numpy()
    use = bld["use"].to_numpy()
    plain = (bld["building"] == "yes").to_numpy()
    evidence = (in_residential & ~np.isin(use, ["other", "service"])) | (use == "residential")
    big = bld["footprint_m2"].to_numpy() >= config.origins.min_dwelling_footprint_m2
    out: npt.NDArray[np.bool_] = typed | (plain & evidence & big)
    return out


def _neighbour_storeys(xy: npt.NDArray[np.float64], levels: npt.NDArray[np.float64],
                       default: float, config: AssessConfig) -> npt.NDArray[np.float64]:
    """Tagged storeys, else the median of the nearest tagged neighbours, else ``default``."""
    oc = config.origins
    tagged = np.isfinite(levels)
    missing = np.flatnonzero(~tagged)
    out = np.where(tagged, levels, default)
    if oc.neighbour_levels_m <= 0 or len(missing) == 0 or tagged.sum() < oc.neighbour_levels_min:
        return out
    tree = cKDTree(xy[tagged])
    k = min(NEIGHBOURS, int(tagged.sum()))
    dist, idx = tree.query(xy[missing], k=k, distance_upper_bound=oc.neighbour_levels_m)
    dist, idx = dist.reshape(len(missing), k), idx.reshape(len(missing), k)
    found = np.isfinite(dist)
    vals = np.where(found, levels[tagged][np.minimum(idx, int(tagged.sum()) - 1)], np.nan)
    enough = found.sum(axis=1) >= oc.neighbour_levels_min
    med = np.full(len(missing), np.nan)
    if enough.any():
        med[enough] = np.nanmedian(vals[enough], axis=1)
    out[missing] = np.where(enough, med, default)
    return out


def storeys(bld: gpd.GeoDataFrame, config: AssessConfig) -> npt.NDArray[np.float64]:
    """Storeys per dwelling. Houses (``house``, ``detached``, ``bungalow`` …) and blocks
    (everything else) are looked up separately: an untagged house takes the median of the
    tagged houses around it, else ``origins.house_levels``; a block that of the tagged blocks
    around it, else ``origins.default_levels``. A house beside a tower is still a house."""
    levels = bld["levels"].to_numpy(dtype=np.float64)
    pts = bld.geometry.representative_point()
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    house = bld["building"].isin(HOUSES).to_numpy()
    out = np.empty(len(bld))
    oc = config.origins
    for mask, default in ((house, oc.house_levels), (~house, oc.default_levels)):
        if mask.any():
            out[mask] = _neighbour_storeys(xy[mask], levels[mask], default, config)
    return out


def hosts_services(bld: gpd.GeoDataFrame, osm: OsmData, crs: str) -> npt.NDArray[np.bool_]:
    """Whether a shop, office, amenity or other service node is mapped inside the building."""
    out = np.zeros(len(bld), dtype=bool)
    if len(bld) == 0 or len(osm.poi_lon) == 0:
        return out
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        osm.poi_lon, osm.poi_lat)
    pts = shapely.points(np.asarray(x), np.asarray(y))
    b_idx, _ = shapely.STRtree(pts).query(bld.geometry.values, predicate="contains")
    out[b_idx] = True
    return out


def dwellings(osm: OsmData, crs: str, residential: gpd.GeoSeries,
              config: AssessConfig) -> gpd.GeoDataFrame:
    """The dwellings, with ``storeys`` and residential ``floor_area_m2``."""
    bld = buildings_frame(osm, crs)
    keep = dwelling_mask(bld, in_areas(bld.geometry, residential), config)
    out = bld[keep].reset_index(drop=True)
    out["storeys"] = storeys(out, config)
    floors = out["storeys"].to_numpy()
    if config.origins.mixed_use_ground_floor:
        mixed = hosts_services(out, osm, crs) | (out["use"] == "service").to_numpy()
        floors = np.where(mixed, np.maximum(floors - 1.0, 0.0), floors)
    out["floor_area_m2"] = out["footprint_m2"].to_numpy() * floors
    return out
