"""Rules that keep origins honest: large areas split, sparse residential land noticed, origins
at the edge of the data flagged, and the population scaled to a known total.

Each rule is general (no city is special-cased) and its effect is recorded for the summary and
the report's data caveats.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from rescity.assess.adapters.osm_reader import RESIDENTIAL_BUILDINGS, OsmData
from rescity.assess.domain.config import AssessConfig
from rescity.core.errors import InputError, Problem

log = logging.getLogger(__name__)


def split_large(res: gpd.GeoDataFrame, config: AssessConfig) -> gpd.GeoDataFrame:
    """Areas larger than ``origins.split_area_m2`` cut along a square grid of
    ``origins.split_cell_m``: one origin point cannot stand for a district (its representative
    point may lie far from the streets that serve most of it). Pieces keep the OSM id and
    name; ``part`` numbers them (0 for an area left whole)."""
    oc = config.origins
    res = res.reset_index(drop=True)
    res["part"] = 0
    if oc.split_area_m2 <= 0 or len(res) == 0:
        return res
    big = np.flatnonzero(res.geometry.area.to_numpy() > oc.split_area_m2)
    if len(big) == 0:
        return res
    step = oc.split_cell_m
    geoms = np.asarray(res.geometry.values, dtype=object)
    # The grid of each area (np.arange per area, as its cells' corners must not drift), then
    # every (area, cell) intersection in one vectorised call and the pieces' rows by take.
    gxs, gys, owner = [], [], []
    for i in big:
        x0, y0, x1, y1 = geoms[i].bounds
        xs = np.arange(np.floor(x0 / step) * step, x1, step)
        ys = np.arange(np.floor(y0 / step) * step, y1, step)
        gx, gy = np.meshgrid(xs, ys)
        gxs.append(gx.ravel())
        gys.append(gy.ravel())
        owner.append(np.full(gx.size, i, dtype=np.int64))
    gx, gy, own = np.concatenate(gxs), np.concatenate(gys), np.concatenate(owner)
    pieces = shapely.intersection(geoms[own], shapely.box(gx, gy, gx + step, gy + step))
    kept = ~shapely.is_empty(pieces) & (shapely.area(pieces) > 0)
    pieces, own = pieces[kept], own[kept]
    starts = np.r_[0, np.flatnonzero(np.diff(own)) + 1]
    part = np.arange(len(own)) - np.repeat(starts, np.diff(np.r_[starts, len(own)])) + 1
    whole = res.drop(index=big)
    parts = res.take(own).reset_index(drop=True)
    parts["geometry"] = pieces
    parts["part"] = part.astype(np.int64)
    return gpd.GeoDataFrame(
        pd.concat([whole, parts], ignore_index=True), geometry="geometry", crs=res.crs)


def landuse_share(dwell: gpd.GeoDataFrame, in_residential: np.ndarray,
                  n_areas: int, unmapped_land: float = float("nan")) -> dict[str, Any]:
    """How much of the typed housing (apartments, houses …, which need no land to count)
    lies in residential land: a low share means the land is mapped too sparsely to stand
    for where people live. ``unmapped_land`` (:func:`unmapped_land_share`) is kept with it."""
    typed = dwell["building"].isin(RESIDENTIAL_BUILDINGS).to_numpy()
    floor = dwell["floor_area_m2"].to_numpy()
    total = float(floor[typed].sum())
    inside = float(floor[typed & in_residential].sum())
    return {"areas": n_areas, "typed_dwellings": int(typed.sum()),
            "typed_dwellings_in_landuse": int((typed & in_residential).sum()),
            "share": inside / total if total > 0 else float("nan"),
            "unmapped_land_share": unmapped_land}


def unmapped_land_share(areas: np.ndarray, dwell: gpd.GeoDataFrame, xy: np.ndarray,
                        min_coverage: float) -> float:
    """The share of the residential land (by area) whose dwellings cover less than
    ``min_coverage`` of it: land whose buildings are not mapped (NaN without land). ``xy``
    are the dwellings' representative points (n × 2)."""
    land = shapely.area(areas)
    if len(areas) == 0 or land.sum() <= 0:
        return float("nan")
    footprint = np.zeros(len(areas))
    if len(dwell):
        b, r = shapely.STRtree(areas).query(shapely.points(xy), predicate="within")
        _, first = np.unique(b, return_index=True)  # a dwelling counts once, as in origins
        np.add.at(footprint, r[first], dwell["footprint_m2"].to_numpy()[b[first]])
    bare = footprint < min_coverage * land
    return float(land[bare].sum() / land.sum())


def sparse_landuse(osm: OsmData, share: dict[str, Any], config: AssessConfig) -> bool:
    """True when residential land holds less than ``origins.min_landuse_share`` of the
    typed housing floor area, or when there are fewer than ``origins.min_landuse_areas``
    residential areas for more than twice as many typed residential buildings (a handful
    of polygons cannot score a district) — unless most of that land has no mapped buildings
    (``unmapped_land_share``): the buildings would then stand for even fewer. Logged
    loudly; with ``origins.sparse_landuse = "error"`` the run stops and asks the user to
    choose."""
    oc = config.origins
    s, n, typed = share["share"], share["areas"], share["typed_dwellings"]
    if np.isfinite(s) and s < oc.min_landuse_share and typed >= 10:
        msg = (f"residential land (landuse=residential) holds only {s:.0%} of the "
               f"{typed} residential buildings' floor area")
    elif n < oc.min_landuse_areas and typed > 2 * n:
        msg = (f"only {n} residential area(s) (landuse=residential) for {typed} residential "
               "buildings")
    else:
        return False
    bare = share.get("unmapped_land_share", float("nan"))
    if np.isfinite(bare) and bare > 0.5 and oc.sparse_landuse == "buildings":
        # The buildings cannot stand for where people live either: most of the land holds
        # none (so little of the typed housing can lie on it), and building origins would
        # count only the few that are mapped.
        log.warning("%s: %s, but %.0f%% of the residential land has no mapped buildings: "
                    "origins stay the residential areas", osm.path, msg, 100 * bare)
        return False
    if oc.sparse_landuse == "error":
        raise InputError([Problem(osm.path, msg + "; choose --origins buildings or h3, or set "
                                  "origins.sparse_landuse = \"buildings\"")], source=osm.path)
    if oc.sparse_landuse == "buildings":
        log.warning("%s: %s: origins are the residential buildings instead", osm.path, msg)
        return True
    log.warning("%s: %s: scores rest on few areas (origins.sparse_landuse = \"keep\")",
                osm.path, msg)
    return False


def bbox_polygon(osm: OsmData, crs: str) -> shapely.Polygon | None:
    """The file's declared bounding box in ``crs`` (its edges densified, so that they bend
    with the projection), or None when the file declares none."""
    if osm.bbox is None:
        return None
    w, s, e, n = osm.bbox
    to = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    edge = np.linspace(0.0, 1.0, 50)
    lon = np.r_[w + (e - w) * edge, np.full(50, e), e - (e - w) * edge, np.full(50, w)]
    lat = np.r_[np.full(50, s), s + (n - s) * edge, np.full(50, n), n - (n - s) * edge]
    bx, by = to.transform(lon, lat)
    return shapely.Polygon(np.column_stack([bx, by]))


def at_border(geoms: gpd.GeoSeries, osm: OsmData, node_x: np.ndarray, node_y: np.ndarray,
              margin_m: float) -> np.ndarray:
    """Origins whose area reaches the edge of the data: beyond the file's bounding box (when
    it declares one) or beyond the walk network's hull grown by ``margin_m``. Their reach is
    cut off where the data ends, so their scores are lower bounds."""
    out = np.zeros(len(geoms), dtype=bool)
    if len(geoms) == 0:
        return out
    vals = np.asarray(geoms.values, dtype=object)
    box = bbox_polygon(osm, str(geoms.crs))
    if box is not None:
        out |= ~shapely.covers(box, vals)
    if len(node_x) >= 3:
        # The hull of the nodes as one line through them: the same hull as of a multipoint
        # (GEOS reads the same coordinates), without a million point objects first.
        hull = shapely.convex_hull(shapely.linestrings(np.column_stack([node_x, node_y])))
        out |= ~shapely.covers(hull.buffer(margin_m), vals)
    return out


def calibrate(gdf: gpd.GeoDataFrame, total: float) -> dict[str, Any]:
    """Scale ``population`` so that it sums to ``total`` (a census figure); the estimate
    before scaling stays in ``population_uncalibrated``."""
    before = gdf["population"].to_numpy(dtype=np.float64)
    estimate = float(before.sum())
    if estimate <= 0:
        raise InputError([Problem("origins.population_total", "the origins hold no population "
                                  "to scale")], source="origins.population_total")
    gdf["population_uncalibrated"] = before
    scaled = before * (total / estimate)
    # Rounding leaves the scaled sum an ulp or two off the total given (12344.999999999998):
    # the residue goes to the largest origin, so the summary's population is the census
    # figure exactly.
    # Within an ulp of the total, steps of a quarter ulp (no representable sum is skipped).
    big = int(np.argmax(scaled))
    for _ in range(64):
        residue = total - float(scaled.sum())
        if residue == 0.0:
            break
        fine = max(float(np.spacing(total)) / 4, float(np.spacing(scaled[big])))
        scaled[big] += residue if abs(residue) > float(np.spacing(total)) else \
            np.copysign(fine, residue)
    gdf["population"] = scaled
    return {"population_calibrated": True, "population_total": total,
            "population_uncalibrated": estimate, "calibration_factor": total / estimate}


def outside_cells(dw: gpd.GeoDataFrame, config: AssessConfig) -> gpd.GeoDataFrame:
    """Origins for the dwellings of a town's fabric that lie in no land use (a town centre
    mapped without land use): grouped by squares of ``origins.built_up_cell_m``,
    each origin the convex hull of its dwellings, so that no representative point stands for
    more than a block."""
    cols = ["osm_type", "osm_id", "name", "part", "area_m2", "floor_area_m2",
            "building_coverage", "population", "population_source"]
    if len(dw) == 0:
        return gpd.GeoDataFrame(columns=[*cols, "geometry"], geometry="geometry", crs=dw.crs)
    pts = dw.geometry.representative_point()
    step = config.origins.built_up_cell_m
    key = pd.MultiIndex.from_arrays([np.floor(pts.x.to_numpy() / step).astype(np.int64),
                                     np.floor(pts.y.to_numpy() / step).astype(np.int64)])
    codes, _ = pd.factorize(key)
    hulls = shapely.convex_hull(_grouped_union(np.asarray(dw.geometry.values), codes))
    floor = np.bincount(codes, weights=dw["floor_area_m2"].to_numpy())
    fp = np.bincount(codes, weights=dw["footprint_m2"].to_numpy())
    area = shapely.area(hulls)
    return gpd.GeoDataFrame({
        "osm_type": "cell", "osm_id": np.zeros(len(hulls), np.int64), "name": "",
        "part": 0, "area_m2": area, "floor_area_m2": floor,
        "building_coverage": fp / np.maximum(area, 1.0),
        "population": floor / config.origins.floor_area_per_person_m2,
        "population_source": "floor_area"}, geometry=hulls, crs=dw.crs)


def _grouped_union(geoms: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per group, all its geometries as one collection (for the convex hull)."""
    order = np.argsort(codes, kind="stable")
    return np.asarray(shapely.geometrycollections(geoms[order], indices=codes[order]),
                      dtype=object)


def settlement_km2(geoms: np.ndarray, gap_m: float, box: shapely.Polygon | None = None,
                   edge_km2: float = 0.0) -> np.ndarray:
    """The residential land (km²) of the settlement each area belongs to: areas closer than
    ``gap_m`` to one another (a street, a square between blocks) form one settlement. A
    village is a few tenths of a km² of residential land, a town's continuous fabric tens.
    A settlement with an area within ``gap_m`` / 2 of the edge of ``box`` (the data's) goes
    on beyond it, by an unknown amount: it counts as at least ``edge_km2``."""
    n = len(geoms)
    area = shapely.area(geoms)
    if n == 0:
        return np.zeros(0)
    grown = shapely.buffer(geoms, gap_m / 2) if gap_m > 0 else geoms
    i, j = shapely.STRtree(grown).query(grown, predicate="intersects")
    _, label = connected_components(coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)),
                                    directed=False)
    size = np.bincount(label, weights=area) / 1e6
    if box is not None and edge_km2 > 0:
        cut = ~shapely.covers(box, grown)
        size[np.unique(label[cut])] = np.maximum(size[np.unique(label[cut])], edge_km2)
    out: np.ndarray = size[label]
    return out


def settlement_density(km2: np.ndarray, config: AssessConfig) -> np.ndarray:
    """Persons per km² of residential land for a settlement of ``km2`` km² of it, where the
    extract cannot teach its own: ``origins.land_density_per_km2`` at 1 km², scaled by
    size ** ``origins.land_density_size_exponent`` (larger settlements are denser; method.md,
    "Where the extract cannot teach its density")."""
    oc = config.origins
    size = np.maximum(km2, oc.settlement_min_km2)
    out: np.ndarray = oc.land_density_per_km2 * size ** oc.land_density_size_exponent
    return out
