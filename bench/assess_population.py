"""The uncalibrated population against official figures on every reference area of the shared
extracts (not a test): the table behind docs/assess/method.md, "Calibration against census
figures". Origins only (no walking search), with the default settings or overrides.

Run:  .venv/bin/python bench/assess_population.py ['{"service_floor_m2": 2100}']

Each area is an administrative boundary found in the extract itself (by admin_level and name);
an origin counts by the share of its area inside it. The figures and their sources are in
method.md; Munich's old town is the area the service rule was tuned on; the Maltese areas were
looked at when the quarter for storeys and the radius of the land density were set (2026-12).
"""

from __future__ import annotations

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
from rescity.assess.domain.taxonomy import load_taxonomy
from rescity.assess.network.graph import build_network
from rescity.assess.services.origins import build_origins

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


def main() -> None:
    overrides = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    cfg = build_config({"origins": overrides})
    built: dict[str, tuple[gpd.GeoDataFrame, str, float]] = {}
    print(f"{'area':32s} {'estimate':>9s} {'reference':>9s} {'ratio':>5s}  origins")
    for city, level, names, ref, label in AREAS:
        path = OSM / f"{city}.osm.pbf"
        if city not in built:
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
