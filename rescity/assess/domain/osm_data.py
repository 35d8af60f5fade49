"""What the reader hands to the assessment: the OSM objects it uses and the walk network's
arrays, in WGS84. Plain data, no I/O; made by ``adapters/osm_reader.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry


@dataclass
class Feature:
    """An OSM object the assessment uses; geometry in WGS84 (lon, lat)."""

    osm_type: str
    osm_id: int
    name: str
    geometry: BaseGeometry
    items: list[int] = field(default_factory=list)
    building: str = ""
    levels: float = float("nan")
    # buildings: "residential", "service" (shop, office …), "other", "address" (a house number
    # and nothing else) or ""
    use: str = ""


@dataclass
class OsmData:
    """Everything read from one extract."""

    path: str
    poi_lon: npt.NDArray[np.float64]
    poi_lat: npt.NDArray[np.float64]
    way_ptr: npt.NDArray[np.int64]
    node_ids: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    facilities: list[Feature]
    residential: list[Feature]
    buildings: list[Feature]
    dropped_ways: dict[str, int]
    failed_areas: list[int]
    bbox: tuple[float, float, float, float] | None = None  # the file header's (W, S, E, N)
    # Members ("n"/"w", id) of each public_transport=stop_area relation: one stop place each.
    stop_areas: list[list[tuple[str, int]]] = field(default_factory=list)
    water: list[BaseGeometry] = field(default_factory=list)
    places: list[Feature] = field(default_factory=list)  # name, point; ``building`` = kind
    # Every other land use (commercial, industrial, farmyard …): a plain building in none of
    # these nor in residential land has no land-use evidence either way (services/dwellings).
    other_landuse: list[BaseGeometry] = field(default_factory=list)

    @property
    def n_walk_ways(self) -> int:
        return len(self.way_ptr) - 1


