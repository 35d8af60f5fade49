"""The uncalibrated population against official figures on every reference area of the shared
extracts (not a test): the table behind docs/assess/method.md, "Calibration against census
figures". Origins only (no walking search), with the default settings or overrides.

Run:  .venv/bin/python bench/assess_population.py ['{"service_floor_m2": 2100}'] [--bare]

``--bare``: each area cut out alone (by representative point) with every building removed,
a country whose mappers drew the residential land but not the houses (method.md, "Where the
extract cannot teach its density").

Each area is an administrative boundary found in the extract itself (by admin_level and name);
an origin counts by the share of its area inside it. The figures and their sources are in
method.md; Munich's old town is the area the service rule was tuned on; the Maltese areas were
looked at when the quarter for storeys and the radius of the land density were set (2026-12).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from rescity.assess.adapters.admin_areas import admin_area
from rescity.assess.adapters.osm_reader import read_osm
from rescity.assess.domain.config import build_config
from rescity.assess.domain.osm_data import Feature, OsmData
from rescity.assess.domain.taxonomy import load_taxonomy
from rescity.assess.network.graph import build_network
from rescity.assess.services.origins import build_origins
from rescity.core.errors import InputError

REPO = Path(__file__).resolve().parent.parent
OSM = Path(os.environ.get("RESCITY_SHARED_DIR", REPO.parent / "shared")) / "data" / "osm"

# (extract, admin_level, boundary names, reference population, label); sources in method.md.
AREAS = [
    ("munich_altstadt", "10", ("Graggenau", "Angerviertel", "Hackenviertel", "Kreuzviertel"),
     7_762, "Munich old town (tuning)"),
    ("monaco", "2", ("Monaco",), 38_367, "Monaco"),
    ("malta", "2", ("Malta",), 493_559, "Malta"),
    ("malta", "4", ("Għawdex",), 33_388, "Gozo and Comino"),
    ("malta", "8", ("Valletta",), 5_300, "Valletta"),
    ("malta", "8", ("Birkirkara",), 24_356, "Birkirkara"),
    ("malta", "8", ("San Pawl Il-Baħar",), 29_097, "St Paul's Bay"),
    ("malta", "8", ("L-Għarb", "L-Għasri", "Ta' Kerċem", "Il-Munxar"), 3_666,
     "western Gozo villages (1995)"),
    ("porto_centro", "9", ("Miragaia", "Sé", "Vitória", "São Nicolau"), 9_200,
     "Porto historic parishes"),
]


def bare(osm: OsmData, area: shapely.Geometry) -> OsmData:
    """``osm`` cut to ``area`` (by representative point) with no building left."""
    shapely.prepare(area)

    def inside(features: list[Feature]) -> list[Feature]:
        pts = shapely.point_on_surface(np.asarray([f.geometry for f in features], dtype=object))
        return [f for f, k in zip(features, shapely.contains(area, pts), strict=True) if k]

    poi = shapely.contains(area, shapely.points(np.column_stack([osm.poi_lon, osm.poi_lat])))
    return dataclasses.replace(
        osm, buildings=[], residential=inside(osm.residential),
        facilities=[f for f in osm.facilities if shapely.intersects(area, f.geometry)],
        other_landuse=[g for g in osm.other_landuse if shapely.intersects(area, g)],
        poi_lon=osm.poi_lon[poi], poi_lat=osm.poi_lat[poi], bbox=None)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--bare"]
    without = "--bare" in sys.argv[1:]
    overrides = json.loads(args[0]) if args else {}
    cfg = build_config({"origins": overrides})
    built: dict[str, tuple[gpd.GeoDataFrame, str, float]] = {}
    read: dict[str, tuple[OsmData, str]] = {}
    print(f"{'area':32s} {'estimate':>9s} {'reference':>9s} {'ratio':>5s}  origins")
    for city, level, names, ref, label in AREAS:
        path = OSM / f"{city}.osm.pbf"
        if without:
            if city not in read:
                osm = read_osm(path, load_taxonomy())
                read[city] = (osm, build_network(osm).crs)
            osm, crs = read[city]
            t = time.perf_counter()
            try:
                o = build_origins(bare(osm, admin_area(path, level, names)), crs, cfg)
            except InputError:  # no residential land: nothing to count without buildings
                print(f"{label:32s} {'-':>9s} {ref:9d} {'-':>5s}  no residential land")
                continue
            built[city] = (o.gdf, str(o.population.get("kind")), time.perf_counter() - t)
        elif city not in built:
            osm = read_osm(path, load_taxonomy())
            crs = build_network(osm).crs
            t = time.perf_counter()
            o = build_origins(osm, crs, cfg)
            built[city] = (o.gdf, str(o.population.get("kind")), time.perf_counter() - t)
        gdf, kind, took = built[city]
        zone = gpd.GeoSeries([admin_area(path, level, names)], crs="EPSG:4326").to_crs(gdf.crs)
        geoms = gdf.geometry.values
        share = (shapely.area(shapely.intersection(geoms, zone.iloc[0]))
                 / np.maximum(shapely.area(geoms), 1e-9))
        est = float((gdf["population"].to_numpy() * share).sum())
        print(f"{label:32s} {est:9.0f} {ref:9d} {est / ref:5.2f}  {kind}, {took:.1f} s")


if __name__ == "__main__":
    main()
