"""Stream an OSM extract once and keep only what the assessment needs.

One pass of pyosmium's ``FileProcessor`` with a C++ node-location cache and area assembly: the
key filter drops every untagged node in C++, so Python sees only walkable ways (their node ids
and coordinates go straight into flat arrays), facility candidates, residential land and
buildings. The file is never materialised as Python objects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from rescity.assess.domain.taxonomy import Taxonomy
from rescity.assess.domain.walkable import walk_exclusion
from rescity.core.errors import DataFileError

log = logging.getLogger(__name__)

SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m")
RESIDENTIAL_BUILDINGS = frozenset({
    "residential", "apartments", "house", "detached", "terrace", "semidetached_house",
    "dormitory", "bungalow", "farm", "cabin", "static_caravan", "houseboat",
})
EXTRA_KEYS = ("highway", "landuse", "building", "type", "building:levels")


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


@dataclass
class OsmData:
    """Everything read from one extract."""

    path: str
    way_ptr: npt.NDArray[np.int64]
    node_ids: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    facilities: list[Feature]
    residential: list[Feature]
    buildings: list[Feature]
    dropped_ways: dict[str, int]
    failed_areas: list[int]

    @property
    def n_walk_ways(self) -> int:
        return len(self.way_ptr) - 1


def _levels(tags: dict[str, str]) -> float:
    raw = tags.get("building:levels", "")
    try:
        value = float(raw.split(";")[0])
    except ValueError:
        return float("nan")
    return value if 0 < value < 200 else float("nan")


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """A valid (multi)polygon: repair self-intersections, drop stray lines of the repair."""
    fixed = shapely.make_valid(geom)
    if fixed.geom_type in ("Polygon", "MultiPolygon"):
        return fixed
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
    if parts:
        return shapely.union_all(parts)
    return geom.representative_point() if not geom.is_empty else shapely.Point()


def _name(tags: dict[str, str]) -> str:
    return tags.get("name") or tags.get("name:zh") or tags.get("name:en") or ""


class _Collector:
    """Accumulates the pass's results; one method per OSM object kind."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.refs: list[npt.NDArray[np.int64]] = []
        self.coords: list[npt.NDArray[np.float64]] = []
        self.facilities: list[Feature] = []
        self.residential: list[Feature] = []
        self.buildings: list[Feature] = []
        self.dropped: dict[str, int] = {}
        self.pending_relations: set[int] = set()
        self.wkb = osmium.geom.WKBFactory()

    def node(self, o: osmium.osm.Node) -> None:
        tags = {t.k: t.v for t in o.tags}
        items = self.taxonomy.classify(tags)
        if items and o.location.valid():
            pt = shapely.Point(o.location.lon, o.location.lat)
            self.facilities.append(Feature("n", o.id, _name(tags), pt, items))

    def way(self, o: osmium.osm.Way) -> None:
        tags = {t.k: t.v for t in o.tags}
        walk = False
        if "highway" in tags:
            reason = walk_exclusion(tags)
            walk = reason is None
            if reason is not None:
                self.dropped[reason] = self.dropped.get(reason, 0) + 1
        items = self.taxonomy.classify(tags)
        is_res = tags.get("landuse") == "residential"
        building = tags.get("building", "")
        if building == "no":
            building = ""
        nodes = o.nodes
        # Coordinates only for ways that are used: most tagged ways in a city are not.
        if not (walk or items or is_res or building) or len(nodes) < 2:
            return
        try:
            rows = np.array([(n.ref, n.lon, n.lat) for n in nodes], dtype=np.float64)
        except osmium.InvalidLocationError:
            key = "missing node locations"
            self.dropped[key] = self.dropped.get(key, 0) + 1
            return
        xy = rows[:, 1:]
        refs = rows[:, 0].astype(np.int64)  # OSM ids are far below 2**53: exact in float64
        if walk:
            self.refs.append(refs)
            self.coords.append(np.ascontiguousarray(xy))
        if not (items or is_res or building):
            return
        closed = len(refs) >= 4 and refs[0] == refs[-1]
        geom: BaseGeometry
        geom = _polygonal(shapely.Polygon(xy)) if closed else shapely.Point(xy[len(xy) // 2])
        if items:
            self.facilities.append(Feature("w", o.id, _name(tags), geom, items))
        if closed and is_res:
            self.residential.append(Feature("w", o.id, _name(tags), geom))
        if closed and building:
            self.buildings.append(Feature("w", o.id, _name(tags), geom, building=building,
                                          levels=_levels(tags)))

    def relation(self, o: osmium.osm.Relation) -> None:
        if o.tags.get("type") != "multipolygon":
            return
        tags = {t.k: t.v for t in o.tags}
        wanted = tags.get("landuse") == "residential" or "building" in tags
        if wanted or self.taxonomy.classify(tags):
            self.pending_relations.add(o.id)

    def area(self, o: osmium.osm.Area) -> None:
        if o.from_way():
            return
        rel_id = o.orig_id()
        self.pending_relations.discard(rel_id)
        tags = {t.k: t.v for t in o.tags}
        items = self.taxonomy.classify(tags)
        is_res = tags.get("landuse") == "residential"
        building = tags.get("building", "")
        if not (items or is_res or building):
            return
        try:
            geom = _polygonal(shapely.from_wkb(self.wkb.create_multipolygon(o)))
        except RuntimeError:
            self.pending_relations.add(rel_id)
            return
        if items:
            self.facilities.append(Feature("r", rel_id, _name(tags), geom, items))
        if is_res:
            self.residential.append(Feature("r", rel_id, _name(tags), geom))
        if building and building != "no":
            self.buildings.append(Feature("r", rel_id, _name(tags), geom, building=building,
                                          levels=_levels(tags)))


def read_osm(path: Path | str, taxonomy: Taxonomy) -> OsmData:
    """Read ``path`` (.osm.pbf, .osm, .osm.bz2) in one streaming pass.

    Raises
    ------
    DataFileError
        When the file is missing, of an unknown kind, truncated or corrupt.
    """
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise DataFileError(where, "OSM file not found")
    if not p.name.lower().endswith(SUFFIXES):
        raise DataFileError(where, f"not an OSM file: expected one of {', '.join(SUFFIXES)}")
    keys = sorted(taxonomy.keys | set(EXTRA_KEYS))
    col = _Collector(taxonomy)
    try:
        fp = (
            osmium.FileProcessor(where)
            .with_locations()
            .with_areas(osmium.filter.KeyFilter(*keys))
            .with_filter(osmium.filter.KeyFilter(*keys))
        )
        for obj in fp:
            if isinstance(obj, osmium.osm.Node):
                col.node(obj)
            elif isinstance(obj, osmium.osm.Way):
                col.way(obj)
            elif isinstance(obj, osmium.osm.Relation):
                col.relation(obj)
            elif isinstance(obj, osmium.osm.Area):
                col.area(obj)
    except (RuntimeError, ValueError, OSError) as exc:
        raise DataFileError(where, f"cannot read OSM data (truncated or corrupt?): {exc}") from None
    if col.pending_relations:
        log.warning("%s: %d multipolygon relation(s) could not be assembled and were skipped",
                    where, len(col.pending_relations))
    lengths = np.array([len(r) for r in col.refs], dtype=np.int64)
    way_ptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=way_ptr[1:])
    xy = np.concatenate(col.coords) if col.coords else np.zeros((0, 2))
    return OsmData(
        path=where,
        way_ptr=way_ptr,
        node_ids=np.concatenate(col.refs) if col.refs else np.zeros(0, dtype=np.int64),
        lon=np.ascontiguousarray(xy[:, 0]),
        lat=np.ascontiguousarray(xy[:, 1]),
        facilities=col.facilities,
        residential=col.residential,
        buildings=col.buildings,
        dropped_ways=col.dropped,
        failed_areas=sorted(col.pending_relations),
    )
