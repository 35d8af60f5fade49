"""A finished assessment as the maps, report and siting read it: in memory or from disk.

``rescity assess`` writes ``origins.parquet``, ``facilities.parquet``, ``network_edges.parquet``
and ``summary.json``; this module reads them back into a :class:`CityResult`, rebuilding the
walk network from the edges (node ids are the edge ends, in the same order, so snapping again
gives the engine's answer). ``config.json`` (written by :func:`write_config`) records the
exact configuration; a result folder without it is read with the defaults or a given config.
"""

from __future__ import annotations

import copy
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from rescity.assess.domain.config import AssessConfig, build_config, load_config, merge_config
from rescity.assess.domain.taxonomy import Taxonomy, load_taxonomy
from rescity.assess.network.graph import WalkNetwork
from rescity.core.errors import ConfigError, DataFileError, InputError, Problem

if TYPE_CHECKING:
    from rescity.assess.services.pipeline import AssessmentResult

REQUIRED = ("origins.parquet", "facilities.parquet", "network_edges.parquet", "summary.json")
CONFIG_FILE = "config.json"
CONTEXT_FILE = "context.parquet"  # optional: results written before it existed have none


@dataclass
class CityResult:
    """What the figures, report and siting need about one assessed city."""

    name: str
    origins: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    network: WalkNetwork
    summary: dict[str, Any]
    config: AssessConfig
    taxonomy: Taxonomy
    context: gpd.GeoDataFrame | None = None  # water and place names (``context.parquet``)

    @property
    def crs(self) -> str:
        return self.network.crs


def city_name(source: str | Path) -> str:
    """A short name from the extract's file name (``nanjing.osm.pbf`` → ``nanjing``)."""
    name = Path(str(source)).name
    for suffix in (".osm.pbf", ".osm.bz2", ".osm", ".pbf"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def from_assessment(result: AssessmentResult, name: str | None = None) -> CityResult:
    """Wrap an in-memory :class:`AssessmentResult` (no copy of the big arrays)."""
    return CityResult(
        name=name or city_name(result.summary.get("source", "city")),
        origins=result.origins, facilities=result.facilities, edges=result.edges(),
        network=result.network, summary=result.summary, config=result.config,
        taxonomy=result.taxonomy, context=result.context,
    )


def network_from_edges(edges: gpd.GeoDataFrame) -> WalkNetwork:
    """Rebuild the CSR walk network from the written edge table (u, v, length_m, geometry)."""
    u = edges["u"].to_numpy(np.int64)
    v = edges["v"].to_numpy(np.int64)
    n = int(max(u.max(initial=-1), v.max(initial=-1))) + 1
    coords, idx = shapely.get_coordinates(edges.geometry.values, return_index=True)
    counts = np.bincount(idx, minlength=len(edges))
    ptr = np.zeros(len(edges) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    x[u], y[u] = coords[ptr[:-1], 0], coords[ptr[:-1], 1]
    x[v], y[v] = coords[ptr[1:] - 1, 0], coords[ptr[1:] - 1, 1]
    return WalkNetwork(
        crs=str(edges.crs), x=x, y=y, node_osm=np.full(n, -1, dtype=np.int64),
        edge_u=np.ascontiguousarray(u), edge_v=np.ascontiguousarray(v),
        edge_len=edges["length_m"].to_numpy(np.float64),
        geom_ptr=ptr, geom_x=np.ascontiguousarray(coords[:, 0]),
        geom_y=np.ascontiguousarray(coords[:, 1]),
    )


def write_config(config: AssessConfig, out_dir: Path | str) -> Path:
    """Record the configuration next to the outputs, so a report states the real weights."""
    path = Path(out_dir) / CONFIG_FILE
    path.write_text(json.dumps(config.model_dump(mode="json"), ensure_ascii=False, indent=2),
                    encoding="utf-8")
    return path


def _same_as_saved(config: AssessConfig | Path | str, saved: dict[str, Any],
                   saved_cfg: AssessConfig, where: str) -> None:
    """A config given to ``report``/``site`` for a result folder, read over the one the
    assessment ran with (``config.json``), must not change it: the summary's indices,
    coverage and gaps were computed with the saved one, and a report that printed other
    thresholds or weights next to them would contradict itself. Raises naming the tables."""
    if isinstance(config, AssessConfig):
        given, source = config, "config"
    else:
        source = str(config)
        try:
            with Path(config).open("rb") as fh:
                over = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError([Problem(source, "config file not found")], source=source) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([Problem(source, f"not valid TOML: {exc}")],
                              source=source) from None
        merged = copy.deepcopy(saved)
        merge_config(merged, over)
        given = build_config(merged, source=source)
    changed = [name for name in AssessConfig.model_fields
               if getattr(given, name) != getattr(saved_cfg, name)]
    if changed:
        raise InputError([Problem(
            f"{source}: key '{name}'",
            f"differs from the configuration the result was assessed with ({where}); run "
            "`rescity assess --config` again to change it") for name in changed],
            source=source)


def load_result(
    folder: Path | str, *, config: AssessConfig | Path | str | None = None,
    name: str | None = None,
) -> CityResult:
    """Read a result folder written by ``rescity assess`` (or ``rescity compare``), with the
    configuration it was assessed with; a ``config`` given as well must agree with it
    (:func:`_same_as_saved`) and is used alone only for folders without ``config.json``."""
    folder = Path(folder)
    missing = [f for f in REQUIRED if not (folder / f).is_file()]
    if missing:
        raise InputError(
            [Problem(str(folder / f), "missing: not an assessment result folder") for f in missing],
            source=str(folder),
        )
    try:
        origins = gpd.read_parquet(folder / "origins.parquet")
        facilities = gpd.read_parquet(folder / "facilities.parquet")
        edges = gpd.read_parquet(folder / "network_edges.parquet")
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        context = (gpd.read_parquet(folder / CONTEXT_FILE)
                   if (folder / CONTEXT_FILE).is_file() else None)
    except (OSError, ValueError) as exc:
        raise DataFileError(str(folder), f"cannot read the result: {exc}") from None
    saved_path = folder / CONFIG_FILE
    if saved_path.is_file():
        data = json.loads(saved_path.read_text(encoding="utf-8"))
        cfg = build_config(data, source=str(saved_path))
        if config is not None:
            _same_as_saved(config, data, cfg, str(saved_path))
    elif isinstance(config, AssessConfig):
        cfg = config
    elif config is not None:
        cfg = load_config(config)
    else:
        cfg = build_config()
    return CityResult(
        name=name or city_name(summary.get("source", folder.name)),
        origins=origins, facilities=facilities, edges=edges,
        network=network_from_edges(edges), summary=summary, config=cfg,
        taxonomy=load_taxonomy(), context=context,
    )
