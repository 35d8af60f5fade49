"""Geometry every map of a city draws, turned into matplotlib paths once per city.

A city's maps (five indices, two surfaces, a gap map per sited item) all draw the same walk
network, origin polygons and water. Building a matplotlib path per polygon from shapely
geometry was a third of an index map's time when every map did it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import shapely
from matplotlib.path import Path as MplPath

from rescity.assess.adapters.result_store import CityResult
from rescity.assess.domain.interpolate import Grid

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PolygonPaths:
    """(Multi)polygons as matplotlib paths: one compound path per polygon part (holes as
    sub-paths), drawn as geopandas draws them."""

    paths: list[MplPath]
    owner: npt.NDArray[np.intp]
    """Index of the geometry each path belongs to."""

    def select(self, keep: npt.NDArray[np.bool_]) -> PolygonPaths:
        """The paths of the geometries where ``keep`` (one flag per geometry) is true."""
        mask = keep[self.owner]
        return PolygonPaths([p for p, k in zip(self.paths, mask, strict=True) if k],
                            self.owner[mask])


def polygon_paths(geoms: npt.ArrayLike) -> PolygonPaths:
    """Paths of the polygons and multipolygons among ``geoms``, built from bulk coordinate
    arrays (other geometries give none)."""
    geoms = np.asarray(geoms, dtype=object)
    kind = shapely.get_type_id(geoms)
    polygonal = np.flatnonzero((kind == shapely.GeometryType.POLYGON)
                               | (kind == shapely.GeometryType.MULTIPOLYGON))
    parts, part_of = shapely.get_parts(geoms[polygonal], return_index=True)
    part_of = polygonal[part_of]
    if len(parts) == 0:
        return PolygonPaths([], np.zeros(0, dtype=np.intp))
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
    ring_start = np.r_[0, np.flatnonzero(np.diff(vertex_ring)) + 1]
    codes[ring_start] = MplPath.MOVETO
    cut = np.flatnonzero(np.diff(ring_part[vertex_ring])) + 1
    paths = [MplPath(v, c) for v, c in zip(np.split(xy, cut), np.split(codes, cut),
                                            strict=True)]
    owner: npt.NDArray[np.intp] = part_of[ring_part[vertex_ring[np.r_[0, cut]]]].astype(
        np.intp)
    return PolygonPaths(paths, owner)


@dataclass(frozen=True)
class NetworkLine:
    """The walk network as one polyline broken by NaN rows, and its bounds."""

    xy: F64
    bounds: tuple[float, float, float, float]


def network_line(edges_geometry: npt.ArrayLike) -> NetworkLine:
    """One polyline for Agg to draw in one call: a LineCollection makes a Python path per
    street segment (~30,000 per map of a city)."""
    coords, idx = shapely.get_coordinates(edges_geometry, return_index=True)
    breaks = np.flatnonzero(np.diff(idx)) + 1
    xy: F64 = np.insert(coords, breaks, np.nan, axis=0)
    minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(edges_geometry))
    return NetworkLine(xy, (minx, miny, maxx, maxy))


@dataclass(frozen=True)
class MapLayers:
    """What :mod:`rescity.assess.reporting.maps` draws on every map of one city."""

    network: NetworkLine
    origins: PolygonPaths
    """Paths of the origins that are polygons; ``owner`` is the origin's row."""
    water: PolygonPaths
    built_up: dict[float, tuple[Grid, npt.NDArray[np.bool_]]] = field(default_factory=dict)
    """Surface grids and their built-up cells by cell size, made by the first surface drawn
    (in the process that draws it: both surfaces of a city are drawn by one worker)."""


def map_layers(city: CityResult) -> MapLayers:
    """Convert the city's geometry once; pass the result to each map of the city."""
    context = city.context
    water = (context.geometry.values[(context["kind"] == "water").to_numpy()]
             if context is not None and len(context) else np.zeros(0, dtype=object))
    return MapLayers(network_line(city.edges.geometry.values),
                     polygon_paths(city.origins.geometry.values), polygon_paths(water))
