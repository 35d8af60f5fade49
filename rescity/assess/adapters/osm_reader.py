"""Stream an OSM extract and keep only what the assessment needs.

Two reads by libosmium (``osm_pass``: relations first, for area assembly; then nodes and ways
with a C++ node-location cache). C++ filters keep only the objects some output needs: tagged
nodes with a facility, POI or place key, ways with a key the rules use, and the areas of
relations (not the areas osmium makes of every closed way). Only relations and relation areas
are read by Python during the pass; the kept nodes and ways are written by libosmium with their
tags and node locations (OPL, ``osm_ways``) and read back in chunks afterwards by a compiled
loop (``_opl.pyx``), the tag rules (``domain/osm_tags``) run once per distinct tag set. No
Python object is made per node or way of the file (only the features of the objects used),
and the file is never materialised as Python objects."""

from __future__ import annotations

import gc
import logging
from collections import deque
from collections.abc import Callable
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from rescity.assess.adapters._opl import scan
from rescity.assess.adapters.osm_pass import ReadMeter, osmium_pass
from rescity.assess.adapters.osm_ways import CoordParser, OplSink, WayCoords, decode_tags
from rescity.assess.domain import osm_tags
from rescity.assess.domain.osm_data import Feature, OsmData
from rescity.assess.domain.osm_tags import (
    EXTRA_KEYS,
    NOT_ESTABLISHMENTS,
    POI_KEYS,
    RESIDENTIAL_BUILDINGS,
    NodeRule,
    WayRule,
    is_establishment,
)
from rescity.assess.domain.taxonomy import Taxonomy
from rescity.core.errors import DataFileError

log = logging.getLogger(__name__)
_NO_GEOMETRY = shapely.Point()  # until the collector's ``finish`` makes the real one

SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m")
RULE_CACHE = 200_000  # distinct tag sets remembered by the reader (a few tens of MB at most)
# Also importable from here, where callers have long found them.
__all__ = ["EXTRA_KEYS", "NOT_ESTABLISHMENTS", "POI_KEYS", "RESIDENTIAL_BUILDINGS", "RULE_CACHE",
           "SUFFIXES", "Feature", "OsmData", "is_establishment", "read_osm"]


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """A valid (multi)polygon: repair self-intersections, drop stray lines of the repair."""
    fixed = shapely.make_valid(geom)
    if fixed.geom_type in ("Polygon", "MultiPolygon"):
        return fixed
    parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
    if parts:
        return shapely.union_all(parts)
    return geom.representative_point() if not geom.is_empty else shapely.Point()


def _tag_dict(o: Any) -> dict[str, str]:
    """The object's tags as a dict: the C++ tag list read in one C loop (``map``) rather than
    through pyosmium's Python iterator, which costs a Python frame per tag."""
    data = o._pyosmium_data
    return dict(map(data.tags_next, repeat(data.tags_begin(), data.tags_size())))


class _Collector:
    """Accumulates the read's results: relations and areas during the pass, then the nodes
    and ways libosmium wrote (:meth:`objects`)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.n_lines = 0  # ways used so far (their row in the coordinates)
        self.walk_lines: list[int] = []  # which of them are walk ways
        # (feature, line, closed, list it is in): geometry made in ``finish``
        self.pending_geoms: list[tuple[Feature, int, bool, list[Feature]]] = []
        self.pending_points: list[tuple[Feature, float, float]] = []  # nodes' (lon, lat)
        self.facilities: list[Feature] = []
        self.residential: list[Feature] = []
        self.buildings: list[Feature] = []
        self.poi: list[tuple[float, float]] = []
        self.stop_areas: list[list[tuple[str, int]]] = []
        self.water: list[BaseGeometry] = []
        self.water_ways: list[Feature] = []  # closed water ways, made polygons in finish()
        self.other_landuse: list[BaseGeometry] = []
        self.land_ways: list[Feature] = []  # closed ways of other land uses, as water_ways
        self.places: list[Feature] = []
        self.dropped: dict[str, int] = {}
        self.dropped_at: dict[str, int] = {}  # sink line count when each reason first came
        # Relations seen and relations assembled, kept apart: osmium may hand over a
        # relation's area before the relation itself, so removing from one set on ``area()``
        # would leave the relation pending forever (failed = wanted - assembled, at the end).
        self.pending_relations: set[int] = set()
        self.area_ids: list[int] = []  # ids osmium gives the areas of the relations seen
        self.assembled: set[int] = set()
        # Features of each relation area delivered, in order, until placed (``take_areas``).
        self.area_queue: deque[list[tuple[list[Feature], Feature]]] = deque()
        # What the rules say about each distinct OPL tag field (``objects``).
        self.way_cache: dict[bytes, WayRule] = {}
        self.node_cache: dict[bytes, NodeRule] = {}
        self.areas_due = 0
        self.wkb = osmium.geom.WKBFactory()
        self.feature = Feature  # what ``_opl.scan`` makes of the used ways
        self.no_geometry = _NO_GEOMETRY

    def _node_rules(self, field: bytes) -> NodeRule:
        """What the rules say about a node with these tags (an OPL tag field)."""
        return osm_tags.node_rule(decode_tags(field), self.taxonomy)

    def _node_at(self, oid: int, lon: float, lat: float, rule: NodeRule) -> None:
        """A node with a valid location that some output uses (``_opl.scan``)."""
        items, name, establishment, place = rule
        if items:
            self._point(Feature("n", oid, name, _NO_GEOMETRY, list(items)), lon, lat,
                        self.facilities)
        if establishment:
            self.poi.append((lon, lat))
        if place:
            self._point(Feature("n", oid, name, _NO_GEOMETRY, building=place), lon, lat,
                        self.places)

    def _point(self, feature: Feature, lon: float, lat: float, into: list[Feature]) -> None:
        """Keep ``feature`` in ``into``; its point is made with all others in :meth:`finish`."""
        into.append(feature)
        self.pending_points.append((feature, lon, lat))

    def _way_rules(self, field: bytes) -> WayRule:
        """What the rules say about a way with these tags (an OPL tag field): evaluated once
        per distinct tag set (see ``objects``)."""
        return osm_tags.way_rule(decode_tags(field), self.taxonomy)

    def objects(self, chunk: bytes, coords: CoordParser) -> None:
        """Run the rules on a chunk of what libosmium wrote: OPL lines of nodes and ways, and
        ``r0`` where osmium delivered a relation area, in file order (the loop is compiled:
        ``_opl.scan``, which calls back here). Objects with the same tags share one evaluation
        (a cache kept across chunks up to :data:`RULE_CACHE` tag sets, then started afresh:
        bounded memory); the node lists of the ways used go to ``coords``."""
        if len(self.way_cache) + len(self.node_cache) > RULE_CACHE:
            self.way_cache.clear()
            self.node_cache.clear()
        coords.add(scan(chunk, self))

    def relation(self, o: osmium.osm.Relation) -> None:
        self.area_ids.append(2 * o.id + 1)  # osmium's id for the relation's area
        if o.tags.get("public_transport") == "stop_area":
            self.stop_areas.append([(m.type, m.ref) for m in o.members if m.type in "nw"])
            return
        if o.tags.get("type") != "multipolygon":
            return
        if osm_tags.relation_wanted(_tag_dict(o), self.taxonomy):
            self.pending_relations.add(o.id)

    def area(self, o: osmium.osm.Area) -> None:
        """A relation's area, as osmium delivers it (marked in the OPL file, ``osm_pass``):
        its geometry is made now; its features join the lists where the marker stands among
        the ways (:meth:`take_areas`), i.e. in the order a reader of all objects sees them."""
        made: list[tuple[list[Feature], Feature]] = []
        self.area_queue.append(made)
        if o.from_way():
            return
        rel_id = o.orig_id()
        tags = _tag_dict(o)
        rule = osm_tags.area_rule(tags, self.taxonomy)
        if not rule.used:
            return
        items, is_res, building, water, land = rule
        try:
            geom = _polygonal(shapely.from_wkb(self.wkb.create_multipolygon(o)))
        except RuntimeError:
            return
        if water:
            self.water.append(geom)
        if land:
            self.other_landuse.append(geom)
        if not (items or is_res or building):
            return
        self.assembled.add(rel_id)
        name = osm_tags.name(tags)
        if items:
            made.append((self.facilities, Feature("r", rel_id, name, geom, items)))
        if is_res:
            made.append((self.residential, Feature("r", rel_id, name, geom)))
        if building and building != "no":
            made.append((self.buildings, Feature(
                "r", rel_id, name, geom, building=building, levels=osm_tags.levels(tags),
                use=osm_tags.building_use(tags))))

    def take_areas(self) -> None:
        """Add the features of the areas delivered so far (:meth:`area`) to their lists."""
        for _ in range(self.areas_due):
            for into, feature in self.area_queue.popleft():
                into.append(feature)
        self.areas_due = 0

    def _drop_bad(self, ways: WayCoords) -> None:
        """Take out the ways with a missing node location (counted as dropped, in the place
        among the drop reasons where the way came) and everything made from them."""
        bad = np.flatnonzero(ways.bad)
        if not len(bad):
            return
        key = "missing node locations"
        first = int(bad[0]) if key not in self.dropped else self.dropped_at[key]
        bad_set = set(bad.tolist())
        self.dropped[key] = self.dropped.get(key, 0) + len(bad)
        self.dropped_at[key] = first
        order = sorted(self.dropped, key=lambda k: (self.dropped_at[k], k == key))
        self.dropped = {k: self.dropped[k] for k in order}
        self.walk_lines = [i for i in self.walk_lines if i not in bad_set]
        gone = {id(f) for f, i, _, _ in self.pending_geoms if i in bad_set}
        self.pending_geoms = [p for p in self.pending_geoms if p[1] not in bad_set]
        for lst in (self.facilities, self.residential, self.buildings, self.water_ways,
                    self.land_ways):
            lst[:] = [f for f in lst if id(f) not in gone]

    def finish(self, ways: WayCoords) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64],
                                               npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Make the pending geometries from the ways' coordinates: polygons for closed ways
        (repaired only where invalid), middle vertices otherwise. Returns the walk ways'
        (pointers, node ids, longitudes, latitudes)."""
        self._drop_bad(ways)
        ptr = ways.ptr
        lon, lat = ways.lon, ways.lat  # never stacked: a megacity has ~10 M nodes
        walk = np.asarray(self.walk_lines, dtype=np.int64)
        lengths = np.diff(ptr)[walk]
        way_ptr = np.zeros(len(walk) + 1, dtype=np.int64)
        np.cumsum(lengths, out=way_ptr[1:])
        take = np.repeat(ptr[walk] - way_ptr[:-1], lengths) + np.arange(int(way_ptr[-1]))
        node_ids = ways.ids[take]
        closed = [(f, i) for f, i, c, _ in self.pending_geoms if c]
        if closed:
            at = np.array([i for _, i in closed], dtype=np.int64)
            n = np.diff(ptr)[at]
            rows = np.repeat(ptr[at] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
            polys = shapely.polygons(shapely.linearrings(lon[rows], lat[rows], indices=np.repeat(
                np.arange(len(at)), n)))
            ok = shapely.is_valid(polys)
            for (f, _), poly, good in zip(closed, polys, ok, strict=True):
                f.geometry = poly if good else _polygonal(poly)
        lines = [(f, i) for f, i, c, _ in self.pending_geoms if not c]
        if lines:  # an open way: its middle vertex
            at = np.array([i for _, i in lines], dtype=np.int64)
            mid = ptr[at] + (ptr[at + 1] - ptr[at]) // 2
            mids = shapely.points(lon[mid], lat[mid])
            for (f, _), pt in zip(lines, mids, strict=True):
                f.geometry = pt
        if self.pending_points:
            pts = shapely.points(np.array([(x, y) for _, x, y in self.pending_points],
                                          dtype=np.float64))
            for (f, _, _), pt in zip(self.pending_points, pts, strict=True):
                f.geometry = pt
        self.pending_geoms.clear()
        self.pending_points.clear()
        return way_ptr, node_ids, lon[take], lat[take]


def read_osm(path: Path | str, taxonomy: Taxonomy, *,
             on_progress: Callable[[float], None] | None = None) -> OsmData:
    """Read ``path`` (.osm.pbf, .osm, .osm.bz2) in one streaming pass.

    ``on_progress`` is called now and then with the share of the file read so far (0 to 1).

    Raises
    ------
    DataFileError
        When the file is missing, of an unknown kind, truncated or corrupt.
    """
    # The read makes hundreds of thousands of small objects that live on (features, rows) and
    # no reference cycles: Python's cyclic collector would scan the growing heap again and
    # again (a sixth of the read's CPU time on Malta). Reference counting still frees the rest.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read(path, taxonomy, on_progress)
    finally:
        if collecting:
            gc.enable()


def _read(path: Path | str, taxonomy: Taxonomy,
          on_progress: Callable[[float], None] | None) -> OsmData:
    p = Path(path)
    where = str(p)
    if not p.is_file():
        raise DataFileError(where, "OSM file not found")
    if not p.name.lower().endswith(SUFFIXES):
        raise DataFileError(where, f"not an OSM file: expected one of {', '.join(SUFFIXES)}")
    keys = sorted(taxonomy.keys | set(EXTRA_KEYS))
    meter = ReadMeter(p.stat().st_size, on_progress)
    sink = OplSink()
    col = _Collector(taxonomy)
    try:
        header = osmium.io.Reader(where, osmium.osm.NOTHING).header()
        box = header.box()
        bbox = ((box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon,
                 box.top_right.lat) if box.valid() else None)
        osmium_pass(where, taxonomy, keys, col, sink, meter)
        coords = CoordParser()
        for chunk in sink.chunks():
            col.objects(chunk, coords)
            meter.after(sink.done)
        col.areas_due = len(col.area_queue)  # delivered at the end of the pass
        col.take_areas()
        ways = coords.result()
    except (RuntimeError, ValueError, OSError) as exc:
        raise DataFileError(where, f"cannot read OSM data (truncated or corrupt?): {exc}") from None
    finally:
        sink.discard()
    failed = sorted(col.pending_relations - col.assembled)
    if failed:
        log.warning("%s: %d multipolygon relation(s) could not be assembled and were skipped",
                    where, len(failed))
    way_ptr, node_ids, lon, lat = col.finish(ways)
    col.water.extend(f.geometry for f in col.water_ways)
    col.other_landuse.extend(f.geometry for f in col.land_ways)
    poi = np.array(col.poi, dtype=np.float64).reshape(-1, 2)
    return OsmData(
        path=where,
        poi_lon=np.ascontiguousarray(poi[:, 0]),
        poi_lat=np.ascontiguousarray(poi[:, 1]),
        way_ptr=way_ptr,
        node_ids=node_ids,
        lon=lon,
        lat=lat,
        facilities=col.facilities,
        residential=col.residential,
        buildings=col.buildings,
        dropped_ways=col.dropped,
        failed_areas=failed,
        bbox=bbox,
        stop_areas=col.stop_areas,
        water=col.water,
        places=col.places,
        other_landuse=col.other_landuse,
    )
