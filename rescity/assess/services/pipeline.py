"""The assessment use case: OSM extract in, scored origins and a city summary out.

Stages run in order and report through ``on_stage(name, seconds)`` callbacks (``seconds`` is
``None`` at the start of a stage), so the CLI can draw progress and a notebook can stay quiet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from rescity.assess.adapters.osm_reader import OsmData, read_osm
from rescity.assess.domain.config import AssessConfig, load_config
from rescity.assess.domain.indices import INDEX_NAMES
from rescity.assess.domain.summary import city_summary
from rescity.assess.domain.taxonomy import NATURAL_GREEN, Taxonomy, load_taxonomy, with_rules
from rescity.assess.domain.unique import sorted_unique
from rescity.assess.network.graph import WalkNetwork, build_network
from rescity.assess.network.reach import ReachResult
from rescity.assess.network.snap import Snapped, Snapper
from rescity.assess.services.facilities import FacilitySet, build_facilities
from rescity.assess.services.origin_rules import at_border, calibrate
from rescity.assess.services.origins import build_origins, origins_from_frame
from rescity.assess.services.scoring import score
from rescity.core.errors import ConfigError, Problem
from rescity.core.heap import frozen_heap

log = logging.getLogger(__name__)

StageCallback = Callable[[str, float | None], None]
ProgressCallback = Callable[[str, float], None]
"""(stage, share done 0..1) from inside a stage that can take more than a second."""
ORIGIN_KINDS = ("landuse", "buildings", "h3")
STAGES = ("read", "network", "facilities", "origins", "reach", "indices", "summary")
F64 = npt.NDArray[np.float64]


@dataclass
class AssessmentResult:
    """Scored origins and facilities (GeoDataFrames, projected CRS), network, city summary."""

    origins: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    network: WalkNetwork
    summary: dict[str, Any]
    config: AssessConfig
    taxonomy: Taxonomy
    reach: ReachResult
    distances: F64
    origin_snap: Snapped
    facility_set: FacilitySet
    timings: dict[str, float] = field(default_factory=dict)
    context: gpd.GeoDataFrame | None = None  # water and place names, for maps

    def edges(self) -> gpd.GeoDataFrame:
        """The walk network's edges, for maps."""
        net = self.network
        return gpd.GeoDataFrame(
            {"u": net.edge_u, "v": net.edge_v, "length_m": net.edge_len},
            geometry=list(net.lines), crs=net.crs,
        )


@contextmanager
def _stage(name: str, timings: dict[str, float], cb: StageCallback | None) -> Iterator[None]:
    if cb:
        cb(name, None)
    t0 = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - t0
    log.info("stage %s: %.2f s", name, timings[name])
    if cb:
        cb(name, timings[name])


def map_context(osm: OsmData, crs: str) -> gpd.GeoDataFrame:
    """Water areas and named places from the extract, projected: the maps' only base layer
    besides the streets (no remote tiles)."""
    water = [("water", "", g) for g in osm.water]
    places = [(f.building, f.name, f.geometry) for f in osm.places]
    rows = water + places
    return gpd.GeoDataFrame({"kind": [r[0] for r in rows], "name": [r[1] for r in rows]},
                            geometry=[r[2] for r in rows], crs="EPSG:4326").to_crs(crs)


def _snapped_per_item(items: list[list[int]], snapped: npt.NDArray[np.bool_],
                      n_items: int) -> list[int]:
    """Snapped facilities per item (a facility counts once per item it serves): one bincount
    over the flattened lists rather than a pass over every facility per item."""
    lens = np.fromiter((len(its) for its in items), dtype=np.int64, count=len(items))
    flat = np.fromiter(chain.from_iterable(items), dtype=np.int64, count=int(lens.sum()))
    fac = np.repeat(np.arange(len(items), dtype=np.int64), lens)
    pairs = sorted_unique(fac[snapped[fac]] * max(n_items, 1) + flat[snapped[fac]])
    return [int(c) for c in np.bincount(pairs % max(n_items, 1), minlength=n_items)]


def _resolve_config(config: AssessConfig | Path | str | None) -> AssessConfig:
    if isinstance(config, AssessConfig):
        return config
    return load_config(config)


def evaluate(
    path: Path | str,
    config: AssessConfig | Path | str | None = None,
    *,
    origins: str | gpd.GeoDataFrame | None = None,
    taxonomy: Taxonomy | None = None,
    on_stage: StageCallback | None = None,
    on_progress: ProgressCallback | None = None,
) -> AssessmentResult:
    """Assess every residential origin of the city in ``path`` (.osm.pbf, .osm, .osm.bz2).

    ``config`` is an :class:`AssessConfig`, a TOML file, or ``None`` for the defaults;
    ``origins`` ("landuse", "buildings", "h3") overrides ``origins.kind``; a GeoDataFrame
    (any CRS, with a ``population`` column) is used as the origins instead.
    ``on_progress(stage, share)`` reports progress inside the stages that can be long (the
    read of a large file).
    """
    cfg = _resolve_config(config)
    given = origins if isinstance(origins, gpd.GeoDataFrame) else None
    if isinstance(origins, str):
        if origins not in ORIGIN_KINDS:
            raise ConfigError([Problem("origins", f"must be one of {', '.join(ORIGIN_KINDS)}, "
                                       f"not {origins!r}")], source="origins")
        cfg = cfg.model_copy(update={"origins": cfg.origins.model_copy(update={"kind": origins})})
    tax = taxonomy or load_taxonomy()
    if cfg.environment.natural_green and "green_space" in tax.ids:
        tax = with_rules(tax, "green_space", NATURAL_GREEN)
    cfg.check_items(tax, "config")
    timings: dict[str, float] = {}

    with _stage("read", timings, on_stage):
        osm: OsmData = read_osm(
            path, tax, on_progress=(lambda f: on_progress("read", f)) if on_progress else None)
    # The extract's millions of objects live until the end: the cyclic collector need not walk
    # them again at every full collection of the later stages (~15 % of the origins stage).
    with frozen_heap():
        return _after_read(path, osm, cfg, given, tax, timings, on_stage, on_progress)


def _after_read(path: Path | str, osm: OsmData, cfg: AssessConfig,
                given: gpd.GeoDataFrame | None, tax: Taxonomy, timings: dict[str, float],
                on_stage: StageCallback | None, on_progress: ProgressCallback | None,
                ) -> AssessmentResult:
    """The stages after the read (see :func:`evaluate`)."""

    def tell(stage: str, share: float) -> None:
        # Within the longer stages, at their natural steps (shares from a megacity's profile).
        if on_progress is not None:
            on_progress(stage, share)

    with _stage("network", timings, on_stage):
        net = build_network(osm, cfg.network.min_component_km)
        tell("network", 0.8)
        snapper = Snapper(net)
    with _stage("facilities", timings, on_stage):
        fs = build_facilities(osm, tax, net.crs, snapper, cfg)
    with _stage("origins", timings, on_stage):
        built = (origins_from_frame(given, net.crs, cfg.origins.population_raster)
                 if given is not None else build_origins(osm, net.crs, cfg))
        org = built.gdf
        tell("origins", 0.8)
        pop_info = dict(built.population)
        pop_info["population_calibrated"] = False
        if cfg.origins.population_total > 0:
            pop_info |= calibrate(org, cfg.origins.population_total)
        osnap = snapper.snap(org["x"].to_numpy(), org["y"].to_numpy(), cfg.network.max_snap_m)
        org["snapped"] = osnap.ok
        org["snap_dist_m"] = osnap.dist
        tell("origins", 0.9)
        org["at_border"] = at_border(org.geometry, osm, net.x, net.y, cfg.network.max_snap_m)
    pop = org["population"].to_numpy(dtype=np.float64)
    with _stage("reach", timings, on_stage):
        area = fs.gdf["area_m2"].to_numpy(dtype=np.float64)
        sc = score(net, fs.items, area, fs.access, fs.access_fac, osnap,
                   org["x"].to_numpy(), org["y"].to_numpy(), pop, cfg, tax)
        reach, view, per_capita = sc.reach, sc.view, sc.view.green_per_capita
        k_of = sc.k
    with _stage("indices", timings, on_stage):
        idx = sc.indices
        ok = osnap.ok
        cols: dict[str, npt.NDArray[Any]] = {
            name: np.where(ok, values, np.nan) for name, values in idx.items()
        }
        cols["green_m2_per_capita"] = np.where(ok, per_capita, np.nan)
        cols["open_space_m2"] = np.where(ok, view.open_area, np.nan)
        cols["intersection_density_km2"] = np.where(ok, view.intersection_density, np.nan)
        labels = cfg.thresholds.labels
        for i, item in enumerate(tax.ids):
            near = np.where(np.isfinite(reach.nearest[:, i]), reach.nearest[:, i], np.nan)
            cols[f"d_{item}"] = np.where(ok, near, np.nan)
            for d, label in zip(cfg.thresholds.distances_m, labels, strict=True):
                n = reach.counts[:, i, k_of(d)].astype(np.int32)  # may be uint16: -1 wraps
                cols[f"n_{item}_{label}"] = np.where(ok, n, -1)
        org = gpd.GeoDataFrame(
            pd.concat([pd.DataFrame(org), pd.DataFrame(cols, index=org.index)], axis=1),
            geometry="geometry", crs=net.crs,
        )
        for d, label in zip(cfg.thresholds.distances_m, labels, strict=True):
            fs.gdf[f"pop_{label}"] = reach.fac_pop[:, k_of(d)]
    with _stage("summary", timings, on_stage):
        lows = {"life_service": cfg.life_service.low, "disaster": cfg.disaster.low,
                "transport": cfg.transport.low, "environment": cfg.environment.low,
                "health_resilience": cfg.composite.low}
        snapped_fac = fs.gdf["snapped"].to_numpy()
        counts = dict(zip(tax.ids, _snapped_per_item(fs.items, snapped_fac, len(tax.ids)),
                          strict=True))
        summary = city_summary(
            {k: org[k].to_numpy(dtype=np.float64) for k in (*INDEX_NAMES, *[
                c for c in idx if c not in INDEX_NAMES])},
            lows, pop, ok, {item: reach.nearest[:, i] for i, item in enumerate(tax.ids)},
            cfg.thresholds.distances_m, labels, counts,
        )
        summary["source"] = str(path)
        summary["origin_kind"] = ("given" if given is not None
                                  else pop_info.get("kind", cfg.origins.kind))
        if pop_info["population_calibrated"]:
            # The census figure given, not its float sum over the origins, which can still
            # be an ulp off (origin_rules.calibrate folds the residue in where it can).
            summary["population"] = float(pop_info["population_total"])
        summary["population_source"] = pop_info["source"]
        summary["population_calibrated"] = pop_info["population_calibrated"]
        for key in ("population_uncalibrated", "calibration_factor", "landuse_share",
                    "origin_fallback", "raster", "population_by_source"):
            if key in pop_info:
                summary["population_raster" if key == "raster" else key] = pop_info[key]
        border = org["at_border"].to_numpy()
        summary["origins_at_border"] = int(border.sum())
        summary["population_at_border"] = float(pop[border].sum())
        summary["network"] = net.report
        summary["dropped_ways"] = osm.dropped_ways
        summary["failed_multipolygons"] = len(osm.failed_areas)
        summary["facilities_unsnapped"] = int((~snapped_fac).sum())
        summary["thresholds_m"] = dict(zip(labels, cfg.thresholds.distances_m, strict=True))
    summary["timings_s"] = dict(timings)
    return AssessmentResult(org, fs.gdf, net, summary, cfg, tax, reach, sc.distances, osnap, fs,
                            timings, map_context(osm, net.crs))
