"""Origins: where people live, each with a population estimate.

Three kinds, chosen by option. ``landuse``: residential areas (小区); population from the floor
area of the buildings inside (footprint × storeys ÷ floor area per person) or, where no
buildings are mapped, land area × density. ``buildings``: residential buildings (and
``building=yes`` inside residential land). ``h3``: hexagonal cells; each residential area's
population is spread evenly over the cells whose centres lie in it.

With ``origins.population_raster`` (a GeoTIFF of persons per cell) every origin's population
is instead the raster's, by areal weighting: Σ over cells of value × area(cell ∩ origin) /
area(cell), computed in the network's projected CRS. The OSM estimate stays in
``population_floor_area`` for comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import h3
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely
from scipy.spatial import cKDTree

from rescity.assess.adapters.osm_reader import OsmData
from rescity.assess.domain.config import AssessConfig
from rescity.assess.services.dwellings import (
    dwellings,
    dwellings_and_points,
    in_areas,
    points_xy,
)
from rescity.assess.services.origin_rules import (
    bbox_polygon,
    landuse_share,
    outside_cells,
    settlement_density,
    settlement_km2,
    sparse_landuse,
    split_large,
    unmapped_land_share,
)
from rescity.core.errors import DataFileError, InputError, Problem

if TYPE_CHECKING:
    from rescity.assess.adapters.raster import PopulationWindow

F64 = npt.NDArray[np.float64]
MIN_MAPPED_AREAS = 5  # well-mapped residential areas needed to learn the extract's own density


def _residential(osm: OsmData, crs: str) -> gpd.GeoDataFrame:
    r = osm.residential
    return gpd.GeoDataFrame(
        {
            "osm_type": [f.osm_type for f in r],
            "osm_id": np.array([f.osm_id for f in r], dtype=np.int64),
            "name": [f.name for f in r],
        },
        geometry=[f.geometry for f in r],
        crs="EPSG:4326",
    ).to_crs(crs)


def land_density(xy: F64, coverage: F64, pop: F64, area: F64, whole: npt.NDArray[np.bool_],
                 config: AssessConfig, settlement: Callable[[], F64] | None = None) -> F64:
    """Persons per km² for each residential area whose buildings are not mapped.

    Learnt from the well-mapped areas (whole areas, not pieces of a split one, whose dwellings
    cover at least ``origins.min_building_coverage``): their persons ÷ their land, pooled
    over those whose representative points lie within ``origins.land_density_radius_m`` when
    there are at least ``MIN_MAPPED_AREAS`` of them, else the median over the extract's
    when it has that many, else a density from the size of each area's settlement
    (``settlement()``, its km² of residential land, computed only then;
    :func:`settlement_density`), or ``origins.land_density_per_km2`` without it. Pooling
    weighs each area by its land, so a small fully built block does not set a village's
    density; learning nearby keeps a country's towns from setting its villages' (Gozo took
    Malta's towns' density and stood at 2 × its census)."""
    oc = config.origins
    good = whole & (coverage >= oc.min_building_coverage)
    if good.sum() < MIN_MAPPED_AREAS:
        return (np.full(len(area), oc.land_density_per_km2) if settlement is None
                else settlement_density(settlement(), config))
    per_km2 = pop[good] / np.maximum(area[good], 1.0) * 1e6
    out = np.full(len(area), float(np.median(per_km2)))
    if oc.land_density_radius_m <= 0:
        return out
    near = cKDTree(xy[good]).query_ball_point(xy, oc.land_density_radius_m)
    lens = np.fromiter((len(n) for n in near), dtype=np.int64, count=len(near))
    enough = lens >= MIN_MAPPED_AREAS
    if enough.any():
        idx = np.concatenate([np.asarray(near[i], dtype=np.int64)
                              for i in np.flatnonzero(enough)])
        rows = np.repeat(np.arange(int(enough.sum())), lens[enough])
        p = np.bincount(rows, weights=pop[good][idx])
        a = np.bincount(rows, weights=area[good][idx])
        out[enough] = p / np.maximum(a, 1.0) * 1e6
    return out


def _landuse(osm: OsmData, crs: str, config: AssessConfig,
             dw: gpd.GeoDataFrame | None = None,
             dw_pts: npt.NDArray[np.object_] | None = None,
             residential: gpd.GeoDataFrame | None = None,
             ) -> tuple[gpd.GeoDataFrame, F64]:
    """Landuse origins and their representative points (n × 2, for :func:`_finish`);
    ``dw`` with ``dw_pts`` and ``residential`` when the caller has them already."""
    res = split_large(_residential(osm, crs) if residential is None else residential, config)
    res["area_m2"] = res.geometry.area
    if dw is None:
        dw = dwellings(osm, crs, res.geometry, config)
    floor = np.zeros(len(res))
    footprint = np.zeros(len(res))
    in_res = np.zeros(len(dw), dtype=bool)
    if len(dw) and len(res):
        pts = dw_pts if dw_pts is not None else dw.geometry.representative_point().values
        tree = shapely.STRtree(res.geometry.values)
        b_idx, r_idx = tree.query(pts, predicate="within")
        # A building inside overlapping areas counts once, in the first.
        _, first = np.unique(b_idx, return_index=True)
        in_res[b_idx] = True
        np.add.at(floor, r_idx[first], dw["floor_area_m2"].to_numpy()[b_idx[first]])
        np.add.at(footprint, r_idx[first], dw["footprint_m2"].to_numpy()[b_idx[first]])
    oc = config.origins
    area = res["area_m2"].to_numpy()
    # Coverage is judged per mapped area, not per piece of a split one: a well-mapped area's
    # empty corner is empty, not unmapped.
    key = res["osm_type"].astype(str) + res["osm_id"].astype(str)
    whole_fp = pd.Series(footprint).groupby(key.to_numpy()).transform("sum").to_numpy()
    whole_area = pd.Series(area).groupby(key.to_numpy()).transform("sum").to_numpy()
    coverage = whole_fp / np.maximum(whole_area, 1.0)
    from_floor = floor / oc.floor_area_per_person_m2
    whole = (res["part"] == 0).to_numpy()
    res_xy = points_xy(np.asarray(res.geometry.representative_point().values, dtype=object))
    density = land_density(res_xy, coverage, from_floor, area, whole, config,
                           lambda: settlement_km2(np.asarray(res.geometry.values),
                                                  oc.settlement_gap_m, bbox_polygon(osm, crs),
                                                  oc.settlement_edge_km2))
    # Where dwellings cover less than min_building_coverage of the land, the buildings are
    # taken as unmapped rather than the area as nearly empty.
    mapped = coverage >= oc.min_building_coverage
    res["floor_area_m2"] = floor
    res["building_coverage"] = coverage
    res["population"] = np.where(mapped, from_floor, area * density / 1e6)
    res["population_source"] = np.where(mapped, "floor_area", "land_density")
    # A piece of a split area without dwellings holds no one: not an origin.
    held = ((res["part"] == 0) | (res["population"] > 0)).to_numpy()
    res, res_xy = res[held], res_xy[held]
    # Dwellings in a town's fabric outside any land use (plain or typed) hold people: origins
    # of their own. Other dwellings outside residential land stay out (method.md).
    cells = outside_cells(dw[~in_res & dw["built_up"].to_numpy()].reset_index(drop=True),
                          config)
    # A block whose floors the services around take entirely holds no one: not an origin.
    cells = cells[cells["population"] > 0]
    if len(cells) == 0:
        return res.reset_index(drop=True), res_xy
    cell_xy = points_xy(np.asarray(cells.geometry.representative_point().values, dtype=object))
    return (gpd.GeoDataFrame(pd.concat([res, cells], ignore_index=True), geometry="geometry",
                             crs=res.crs), np.concatenate([res_xy, cell_xy]))


def _building_origins(osm: OsmData, crs: str, config: AssessConfig) -> gpd.GeoDataFrame:
    out = dwellings(osm, crs, _residential(osm, crs).geometry, config)
    out["area_m2"] = out["footprint_m2"]
    out["population"] = out["floor_area_m2"] / config.origins.floor_area_per_person_m2
    out["population_source"] = "floor_area"
    # A one-storey shop or office tagged as a dwelling type has no dwelling floor left.
    out = out[out["population"] > 0].reset_index(drop=True)
    return out.drop(columns=["footprint_m2", "use", "built_up"])


def _h3_origins(osm: OsmData, crs: str, config: AssessConfig) -> gpd.GeoDataFrame:
    land = _landuse(osm, crs, config)[0].to_crs("EPSG:4326")
    res = config.origins.h3_resolution
    pop: dict[str, float] = {}
    for geom, p in zip(land.geometry.values, land["population"].to_numpy(), strict=True):
        cells = list(h3.geo_to_cells(geom, res)) if not geom.is_empty else []
        if not cells:
            pt = geom.representative_point()
            cells = [h3.latlng_to_cell(pt.y, pt.x, res)]
        for c in cells:
            pop[c] = pop.get(c, 0.0) + p / len(cells)
    cells = sorted(pop)
    polys = [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells]
    out = gpd.GeoDataFrame(
        {"osm_type": "h3", "osm_id": np.zeros(len(cells), np.int64), "name": cells,
         "population": [pop[c] for c in cells]},
        geometry=polys, crs="EPSG:4326",
    ).to_crs(crs)
    out["area_m2"] = out.geometry.area
    out["floor_area_m2"] = np.nan
    out["population_source"] = "residential_areas"
    return out


@dataclass(frozen=True)
class Origins:
    """The origins and what the summary says about where their population came from."""

    gdf: gpd.GeoDataFrame
    population: dict[str, Any] = field(default_factory=dict)


def _cell_polygons(win: PopulationWindow, crs: str) -> tuple[npt.NDArray[np.object_], F64]:
    """The populated cells (value > 0) as polygons in ``crs``, and their values.

    Corners are transformed exactly; edges stay straight, which for cells of a few hundred
    metres bends them by far less than a millimetre.
    """
    rows, cols = np.nonzero(win.values > 0)
    t = win.transform
    cc = (cols[:, None] + np.array([0, 1, 1, 0, 0])).astype(np.float64)
    rr = (rows[:, None] + np.array([0, 0, 1, 1, 0])).astype(np.float64)
    x = t.c + t.a * cc + t.b * rr
    y = t.f + t.d * cc + t.e * rr
    tx, ty = pyproj.Transformer.from_crs(win.crs, crs, always_xy=True).transform(x, y)
    tx, ty = np.asarray(tx), np.asarray(ty)
    # A corner outside the projection's domain (inf) makes no polygon: such cells are far away.
    ok = np.isfinite(tx).all(axis=1) & np.isfinite(ty).all(axis=1)
    polys = shapely.polygons(np.stack([tx[ok], ty[ok]], axis=-1))
    return polys, win.values[rows[ok], cols[ok]]


def areal_weights(zones: npt.NDArray[np.object_], cells: npt.NDArray[np.object_],
                  values: F64) -> F64:
    """Σ over cells of value × area(cell ∩ zone) / area(cell), for each zone.

    One STRtree query gives the (zone, cell) pairs that touch; cells lying wholly inside a
    zone count in full, the others by one vectorised intersection.
    """
    out = np.zeros(len(zones))
    if len(zones) == 0 or len(cells) == 0:
        return out
    z, c = shapely.STRtree(cells).query(zones, predicate="intersects")
    shapely.prepare(zones)
    inside = shapely.contains(zones[z], cells[c])
    frac = np.ones(len(z))
    edge = ~inside
    frac[edge] = (shapely.area(shapely.intersection(zones[z[edge]], cells[c[edge]]))
                  / shapely.area(cells[c[edge]]))
    np.add.at(out, z, values[c] * frac)
    return out


def _disjoint(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Overlaps removed, so no one is counted twice: an overlap stays with the smaller origin
    (a 小区 drawn inside a wider residential area is the more specific of the two)."""
    out = np.array(shapely.make_valid(geoms), dtype=object)
    a, b = shapely.STRtree(out).query(out, predicate="intersects")
    pair = a != b
    a, b = a[pair], b[pair]
    if len(a) == 0:
        return out
    shared = shapely.relate_pattern(out[a], out[b], "T********")  # interiors meet
    area = shapely.area(out)
    smaller = (area[b] < area[a]) | ((area[b] == area[a]) & (b < a))
    a, b = a[shared & smaller], b[shared & smaller]
    cut = out.copy()
    # One difference per origin that has a smaller one overlapping it (few), not per cell.
    for i in np.unique(a):
        cut[i] = shapely.difference(out[i], shapely.union_all(out[b[a == i]]))
    return cut


def apply_population_raster(gdf: gpd.GeoDataFrame, path: str, crs: str) -> dict[str, Any]:
    """Replace ``population`` by the raster's, keep the OSM estimate, and report coverage."""
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    # rasterio is imported only for a raster (~0.3 s of every run's start-up otherwise).
    from rescity.assess.adapters.raster import read_population_window

    win = read_population_window(path, (minx, miny, maxx, maxy), crs)
    if not win.valid.any():
        raise DataFileError(path, "every cell of the population raster over the city is nodata")
    if not (win.values > 0).any():
        raise DataFileError(path, "the population raster holds 0 persons over the city")
    cells, values = _cell_polygons(win, crs)
    zones = _disjoint(np.asarray(gdf.geometry.values, dtype=object))
    pop = areal_weights(zones, cells, values)
    bbox = np.array([shapely.box(minx, miny, maxx, maxy)], dtype=object)
    in_bbox = float(areal_weights(bbox, cells, values)[0])
    pt = gdf.geometry.representative_point()
    px, py = pyproj.Transformer.from_crs(crs, win.crs, always_xy=True).transform(
        pt.x.to_numpy(), pt.y.to_numpy())
    row, col = win.cell_of(np.asarray(px), np.asarray(py))
    h, w = win.values.shape
    inside = (row >= 0) & (row < h) & (col >= 0) & (col < w)
    on_data = np.zeros(len(gdf), dtype=bool)
    on_data[inside] = win.valid[row[inside], col[inside]]
    gdf["population_floor_area"] = gdf["population"].to_numpy(dtype=np.float64)
    gdf["population"] = pop
    gdf["population_source"] = "raster"
    total = float(pop.sum())
    return {
        "source": "raster",
        "raster": {
            "path": path,
            "crs": win.crs.to_string(),
            "cell_size": list(win.resolution),
            "cells_read": int(win.values.size),
            "population_in_bbox": in_bbox,
            "population_in_origins": total,
            "share_in_origins": total / in_bbox if in_bbox > 0 else float("nan"),
            "population_outside_origins": max(in_bbox - total, 0.0),
            "origins_on_nodata": int((~on_data).sum()),
            "population_floor_area": float(gdf["population_floor_area"].sum()),
        },
    }


def _finish(gdf: gpd.GeoDataFrame, kind: str, xy: F64 | None = None) -> gpd.GeoDataFrame:
    """Numbered origins with their representative points (``xy`` when already known)."""
    gdf = gdf.reset_index(drop=True)
    gdf.insert(0, "oid", np.arange(len(gdf), dtype=np.int64))
    gdf.insert(1, "kind", kind)
    if xy is None:
        xy = points_xy(np.asarray(gdf.geometry.representative_point().values, dtype=object))
    gdf["x"], gdf["y"] = xy[:, 0].copy(), xy[:, 1].copy()
    return gdf


def build_origins(osm: OsmData, crs: str, config: AssessConfig) -> Origins:
    """Origins with ``population``, ``area_m2`` and an origin point (``x``, ``y``).

    Landuse origins fall back to buildings (loudly) when residential land is too sparse to
    stand for where people live; ``info["landuse_share"]`` records the check.
    """
    kind = config.origins.kind
    checks: dict[str, Any] = {}
    xy: F64 | None = None
    if kind == "landuse":
        res = _residential(osm, crs)
        # The dwellings' representative points come with them, for the uses below.
        dw, dw_pts = dwellings_and_points(osm, crs, res.geometry, config)
        dw_xy = points_xy(dw_pts)
        bare = unmapped_land_share(np.asarray(res.geometry.values), dw, dw_xy,
                                   config.origins.min_building_coverage)
        share = landuse_share(dw, in_areas(dw.geometry, res.geometry, pts=dw_pts), len(res), bare)
        checks["landuse_share"] = share
        if sparse_landuse(osm, share, config):
            checks["origin_fallback"] = {"from": "landuse", "to": "buildings"}
            kind = "buildings"
    if kind == "landuse":
        gdf, xy = _landuse(osm, crs, config, dw, dw_pts, res)
    elif kind == "buildings":
        gdf = _building_origins(osm, crs, config)
    else:
        gdf = _h3_origins(osm, crs, config)
    if len(gdf) == 0:
        raise InputError(
            [Problem(osm.path, f"no residential origins of kind {kind!r} found; "
                     "try --origins buildings or --origins h3")], source=osm.path)
    gdf = gdf.reset_index(drop=True)
    raster = config.origins.population_raster
    info: dict[str, Any] = (
        apply_population_raster(gdf, raster, crs) if raster
        else {"source": "floor_area" if kind != "h3" else "residential_areas"})
    info |= checks
    info["kind"] = kind
    info["population_by_source"] = by_source(gdf)
    return Origins(_finish(gdf, kind, xy), info)


def by_source(gdf: gpd.GeoDataFrame) -> dict[str, dict[str, float]]:
    """Per ``population_source``: persons, origins and, for ``land_density``, the persons per
    km² assigned (the median over those origins). The report's caveats say how much of the
    population rests on land whose buildings are not mapped."""
    out: dict[str, dict[str, float]] = {}
    pop = gdf["population"].to_numpy(dtype=np.float64)
    src = gdf["population_source"].astype(str).to_numpy()
    for s in sorted(set(src)):
        m = src == s
        entry = {"population": float(pop[m].sum()), "origins": float(m.sum())}
        if s == "land_density":
            area = gdf["area_m2"].to_numpy(dtype=np.float64)[m]
            entry["per_km2"] = float(np.median(pop[m] / np.maximum(area, 1.0) * 1e6))
        out[s] = entry
    return out


def origins_from_frame(frame: gpd.GeoDataFrame, crs: str, raster: str = "") -> Origins:
    """Use a caller's GeoDataFrame as origins (a notebook's own blocks or grid cells).

    With a ``raster`` its populations come from it, and a ``population`` column, optional
    then, is kept as ``population_given`` for comparison.
    """
    problems = []
    if frame.crs is None:
        problems.append(Problem("origins", "the GeoDataFrame has no CRS"))
    if "population" not in frame.columns:
        if not raster:
            problems.append(Problem("origins", "needs a 'population' column"))
    elif len(frame) and not (frame["population"].to_numpy(dtype=float) >= 0).all():
        problems.append(Problem("origins.population", "must be a number ≥ 0 in every row"))
    if len(frame) == 0:
        problems.append(Problem("origins", "the GeoDataFrame is empty"))
    elif raster and not frame.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        problems.append(Problem("origins", "a population raster is spread over areas: every "
                                "origin must be a polygon (points and lines hold no one)"))
    if problems:
        raise InputError(problems, source="origins")
    gdf = frame.to_crs(crs).reset_index(drop=True)
    gdf = gdf.drop(columns=[c for c in ("oid", "kind", "x", "y") if c in gdf.columns])
    gdf["area_m2"] = gdf.geometry.area
    info: dict[str, Any] = {"source": "given"}
    if raster:
        given = "population" in gdf.columns
        if not given:
            gdf["population"] = np.nan
        info = apply_population_raster(gdf, raster, crs)
        gdf = gdf.rename(columns={"population_floor_area": "population_given"})
        if not given:
            gdf = gdf.drop(columns="population_given")
        info["raster"]["population_given"] = info["raster"].pop("population_floor_area")
    else:
        gdf["population_source"] = "given"
    return Origins(_finish(gdf, "given"), info)
