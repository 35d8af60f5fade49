"""Origins: where people live, each with a population estimate.

Three kinds, chosen by option. ``landuse``: residential areas (小区); population from the floor
area of the buildings inside (footprint × storeys ÷ floor area per person) or, where no
buildings are mapped, land area × density. ``buildings``: residential buildings (and
``building=yes`` inside residential land). ``h3``: hexagonal cells; each residential area's
population is spread evenly over the cells whose centres lie in it.
"""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import numpy.typing as npt
import shapely

from rescity.assess.adapters.osm_reader import RESIDENTIAL_BUILDINGS, OsmData
from rescity.assess.domain.config import AssessConfig
from rescity.core.errors import ConfigError, InputError, Problem

F64 = npt.NDArray[np.float64]


def _buildings(osm: OsmData, crs: str, config: AssessConfig) -> gpd.GeoDataFrame:
    b = osm.buildings
    gdf = gpd.GeoDataFrame(
        {
            "osm_type": [f.osm_type for f in b],
            "osm_id": np.array([f.osm_id for f in b], dtype=np.int64),
            "name": [f.name for f in b],
            "building": [f.building for f in b],
            "levels": np.array([f.levels for f in b], dtype=np.float64),
        },
        geometry=[f.geometry for f in b],
        crs="EPSG:4326",
    ).to_crs(crs)
    levels = np.where(np.isfinite(gdf["levels"]), gdf["levels"], config.origins.default_levels)
    gdf["floor_area_m2"] = gdf.geometry.area * levels
    return gdf


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


def _landuse(osm: OsmData, crs: str, config: AssessConfig) -> gpd.GeoDataFrame:
    res = _residential(osm, crs)
    res["area_m2"] = res.geometry.area
    bld = _buildings(osm, crs, config)
    usable = bld[bld["building"].isin(RESIDENTIAL_BUILDINGS | {"yes"})]
    floor = np.zeros(len(res))
    if len(usable) and len(res):
        pts = usable.geometry.representative_point().values
        tree = shapely.STRtree(res.geometry.values)
        b_idx, r_idx = tree.query(pts, predicate="within")
        # A building inside overlapping areas counts once, in the first.
        _, first = np.unique(b_idx, return_index=True)
        np.add.at(floor, r_idx[first], usable["floor_area_m2"].to_numpy()[b_idx[first]])
    oc = config.origins
    res["floor_area_m2"] = floor
    res["population"] = np.where(
        floor > 0, floor / oc.floor_area_per_person_m2,
        res["area_m2"] * oc.land_density_per_km2 / 1e6,
    )
    return res


def _building_origins(osm: OsmData, crs: str, config: AssessConfig) -> gpd.GeoDataFrame:
    bld = _buildings(osm, crs, config)
    res = _residential(osm, crs)
    inside = np.zeros(len(bld), dtype=bool)
    if len(res) and len(bld):
        tree = shapely.STRtree(res.geometry.values)
        b_idx, _ = tree.query(bld.geometry.representative_point().values, predicate="within")
        inside[b_idx] = True
    typed = bld["building"].isin(RESIDENTIAL_BUILDINGS).to_numpy()
    keep = typed | (inside & (bld["building"] == "yes").to_numpy())
    out = bld[keep].reset_index(drop=True)
    out["area_m2"] = out.geometry.area
    out["population"] = out["floor_area_m2"] / config.origins.floor_area_per_person_m2
    return out


def _h3_origins(osm: OsmData, crs: str, config: AssessConfig) -> gpd.GeoDataFrame:
    land = _landuse(osm, crs, config).to_crs("EPSG:4326")
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
    return out


def build_origins(osm: OsmData, crs: str, config: AssessConfig) -> gpd.GeoDataFrame:
    """Origins with ``population``, ``area_m2`` and an origin point (``x``, ``y``)."""
    if config.origins.population_raster:
        raise ConfigError([Problem("key 'origins.population_raster'",
                                   "population rasters are not supported yet; leave it empty")])
    kind = config.origins.kind
    if kind == "landuse":
        gdf = _landuse(osm, crs, config)
    elif kind == "buildings":
        gdf = _building_origins(osm, crs, config)
    else:
        gdf = _h3_origins(osm, crs, config)
    if len(gdf) == 0:
        raise InputError(
            [Problem(osm.path, f"no residential origins of kind {kind!r} found; "
                     "try --origins buildings or --origins h3")], source=osm.path)
    gdf = gdf.reset_index(drop=True)
    gdf.insert(0, "oid", np.arange(len(gdf), dtype=np.int64))
    gdf.insert(1, "kind", kind)
    pt = gdf.geometry.representative_point()
    gdf["x"], gdf["y"] = pt.x.to_numpy(), pt.y.to_numpy()
    return gdf


def origins_from_frame(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """Use a caller's GeoDataFrame as origins (a notebook's own blocks or grid cells)."""
    problems = []
    if frame.crs is None:
        problems.append(Problem("origins", "the GeoDataFrame has no CRS"))
    if "population" not in frame.columns:
        problems.append(Problem("origins", "needs a 'population' column"))
    elif len(frame) and not (frame["population"].to_numpy(dtype=float) >= 0).all():
        problems.append(Problem("origins.population", "must be a number ≥ 0 in every row"))
    if len(frame) == 0:
        problems.append(Problem("origins", "the GeoDataFrame is empty"))
    if problems:
        raise InputError(problems, source="origins")
    gdf = frame.to_crs(crs).reset_index(drop=True)
    gdf = gdf.drop(columns=[c for c in ("oid", "kind", "x", "y") if c in gdf.columns])
    gdf["area_m2"] = gdf.geometry.area
    gdf.insert(0, "oid", np.arange(len(gdf), dtype=np.int64))
    gdf.insert(1, "kind", "given")
    pt = gdf.geometry.representative_point()
    gdf["x"], gdf["y"] = pt.x.to_numpy(), pt.y.to_numpy()
    return gdf
