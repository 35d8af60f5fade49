"""Write an assessment to disk: GeoParquet (full geometry), GeoPackage (points, opens in
QGIS), the network edges for later maps, the city summary as JSON and CSV, and the
configuration the run used (``config.json``)."""

from __future__ import annotations

import csv
import json
import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from rescity.assess.adapters.result_store import write_config

if TYPE_CHECKING:
    from rescity.assess.services.pipeline import AssessmentResult


def _as_points(gdf: gpd.GeoDataFrame, *, xy: tuple[str, str] | None = None) -> gpd.GeoDataFrame:
    """One geometry type per GeoPackage layer: polygons of mixed kinds become points.

    ``xy`` names the columns that hold each row's representative point already (the
    origins' ``x``, ``y``): built from them, not computed again from the polygons."""
    out = gdf.copy()
    if xy is None:
        out["geometry"] = gdf.geometry.representative_point()
    else:
        x, y = gdf[xy[0]].to_numpy(dtype=np.float64), gdf[xy[1]].to_numpy(dtype=np.float64)
        pts = shapely.points(x, y)
        # An empty geometry has an empty point, not one at (NaN, NaN).
        blank = np.isnan(x) | np.isnan(y)
        if blank.any():
            pts[blank] = shapely.point_on_surface(gdf.geometry.values[blank])
        out["geometry"] = gpd.GeoSeries(pts, index=gdf.index, crs=gdf.crs)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _rows(summary: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    for index, stats in summary["indices"].items():
        for stat, value in stats.items():
            yield ("index", index, stat, value)
    for item, cov in summary["coverage"].items():
        for label, value in cov.items():
            yield ("coverage", item, label, value)
    for item, n in summary["facility_counts"].items():
        yield ("facilities", item, "count", n)
    for item in summary["missing_items"]:
        yield ("missing", item, "missing", 1)
    for key in ("origins", "origins_unsnapped", "population", "population_unsnapped",
                "facilities_unsnapped", "failed_multipolygons", "population_calibrated",
                "origins_at_border"):
        if key in summary:
            yield ("city", key, "value", summary[key])
    for key, value in (summary.get("population_raster") or {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield ("population_raster", key, "value", value)


class _Shares:
    """Progress of files written by two threads: each finished file adds its share, under a
    lock, so the reported shares only rise."""

    def __init__(self, on_progress: Callable[[float], None] | None) -> None:
        self.on_progress = on_progress
        self.total = 0.0
        self.lock = threading.Lock()

    def add(self, share: float) -> None:
        with self.lock:
            self.total = min(self.total + share, 1.0)
            if self.on_progress is not None:
                self.on_progress(self.total)


def _write_origins(result: AssessmentResult, paths: dict[str, Path], shares: _Shares) -> None:
    result.origins.to_parquet(paths["origins_parquet"])
    shares.add(0.1)
    # GDAL's Arrow path writes whole column batches: the same file, about 3 times faster
    # than a feature at a time (some 130 columns per origin).
    _as_points(result.origins, xy=("x", "y")).to_file(
        paths["origins_gpkg"], layer="origins", driver="GPKG", use_arrow=True)
    shares.add(0.15)
    areas = result.origins[result.origins.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(areas):
        # The polygons too, as a second layer (multi-polygons: one geometry type per layer).
        areas.to_file(paths["origins_gpkg"], layer="origin_areas", driver="GPKG",
                      promote_to_multi=True, use_arrow=True)
    shares.add(0.2)


def _write_network_and_facilities(result: AssessmentResult, paths: dict[str, Path],
                                  shares: _Shares) -> None:
    result.facilities.to_parquet(paths["facilities_parquet"])
    shares.add(0.05)
    _as_points(result.facilities).to_file(paths["facilities_gpkg"], layer="facilities",
                                          driver="GPKG", use_arrow=True)
    shares.add(0.1)
    result.edges().to_parquet(paths["edges_parquet"])
    shares.add(0.35)
    if result.context is not None:
        result.context.to_parquet(paths["context_parquet"])


def write_outputs(result: AssessmentResult, out_dir: Path | str, *,
                  on_progress: Callable[[float], None] | None = None) -> dict[str, Path]:
    """Write every output file into ``out_dir`` (created); return the paths by name.

    ``on_progress(share)`` after each file: a megacity's outputs take many seconds to write.
    The shares are the files' rough parts of the time on a large city, and only rise.

    The origins' files and the others are written by two threads, each file as before by
    one of them: Parquet's compression and GDAL's writing run without Python's lock (the
    WKB conversion and the edges' line strings hold it), so on a second core the two
    halves partly overlap."""
    shares = _Shares(on_progress)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "origins_parquet": out / "origins.parquet",
        "origins_gpkg": out / "origins.gpkg",
        "facilities_parquet": out / "facilities.parquet",
        "facilities_gpkg": out / "facilities.gpkg",
        "edges_parquet": out / "network_edges.parquet",
        "summary_json": out / "summary.json",
        "summary_csv": out / "summary.csv",
        "config_json": out / "config.json",
        "context_parquet": out / "context.parquet",
    }
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rescity-write") as pool:
        # The larger half (1.35 M edges on the megacity) in this thread: its allocations
        # reuse the memory the extract freed here, where a new thread's allocator arena
        # would grow the process by them (+0.4 GiB peak on the mosaic the other way round).
        origins = pool.submit(_write_origins, result, paths, shares)
        # On an error here the pool still waits for the other half before it is raised.
        _write_network_and_facilities(result, paths, shares)
        origins.result()
    if result.context is None:
        del paths["context_parquet"]
    paths["summary_json"].write_text(
        json.dumps(_clean(result.summary), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    with paths["summary_csv"].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["section", "name", "stat", "value"])
        for row in _rows(result.summary):
            writer.writerow(row)
    # The configuration the run used: `report`, `site` and `compare` read it back, so that
    # their tables and method text state the real thresholds and weights.
    write_config(result.config, out)
    shares.add(1.0)
    return paths
