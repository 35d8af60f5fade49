"""The libosmium pass of the OSM read: C++ filters and node-location cache, area assembly, and
how far the read is. Python sees only relations and relation areas here; the kept nodes and
ways go to an OPL writer (``osm_ways.OplSink``) for ``osm_reader`` to read back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import osmium

from rescity.assess.adapters.osm_ways import OplSink
from rescity.assess.domain.osm_tags import POI_KEYS
from rescity.assess.domain.taxonomy import Taxonomy


class Collector(Protocol):
    """What the pass hands relations and relation areas to (``osm_reader``'s collector)."""

    area_ids: list[int]

    def relation(self, o: osmium.osm.Relation) -> None: ...

    def area(self, o: osmium.osm.Area) -> None: ...


class ReadMeter:
    """How far the read is. During the pass: from the bytes this process has read (Linux
    ``/proc/self/io``; the area assembly reads the file twice), the first half of the scale.
    Then the second half: the share of the written objects read back. Elsewhere than on
    Linux there is no measure and no report."""

    IO = Path("/proc/self/io")
    PASS = 0.5  # share of the scale for the pass (about half the read's time on Malta)

    def __init__(self, size: int, report: Callable[[float], None] | None) -> None:
        self.report = report if report is not None and self.IO.is_file() else None
        self.total = max(2 * size, 1)
        self.start = self._rchar() if self.report else 0

    def _rchar(self) -> int:
        for line in self.IO.read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
        return 0

    def tick(self) -> None:
        if self.report is not None:
            self.report(self.PASS * min(1.0, (self._rchar() - self.start) / self.total))

    def after(self, done: float) -> None:
        """``done``: the share of the written objects read back so far."""
        if self.report is not None:
            self.report(self.PASS + (1.0 - self.PASS) * min(1.0, done))


class _AreaHandler:
    """The Python end of the area handler chain (after the C++ filters): makes the area and
    marks in the ways' OPL file where it came (an empty relation, line ``r0``), since where
    the area's features go among the ways' depends on it."""

    def __init__(self, col: Collector, sink: OplSink) -> None:
        self.col = col
        self.mark = sink.writer.add_relation
        self.marker = osmium.osm.mutable.Relation(id=0)

    def area(self, o: osmium.osm.Area) -> None:
        self.col.area(o)
        self.mark(self.marker)


def osmium_pass(where: str, taxonomy: Taxonomy, keys: list[str], col: Collector,
          sink: OplSink, meter: ReadMeter) -> None:
    """Two reads of the file, as pyosmium's ``FileProcessor.with_areas`` does, with the
    filter chain set up so that C++ drops what no output needs: first the relations (stop
    areas, multipolygons to assemble); then nodes and ways with their locations, nodes only
    with a facility, POI or place key, and only the areas of relations, not the (tens of
    thousands of) areas osmium makes from closed ways, which the ways already give. The kept
    nodes and ways go to ``sink``'s writer; only relation areas are read by Python here."""
    pool = osmium.io.ThreadPool()
    areas = osmium.area.AreaManager()
    meter.tick()  # 0: libosmium reads ahead on its threads, so later ticks may all be high
    with osmium.io.Reader(where, osmium.osm.RELATION, thread_pool=pool) as rd:
        osmium.apply(rd, osmium.filter.KeyFilter(*keys), col, areas.first_pass_handler())
    meter.tick()
    node_keys = sorted(taxonomy.keys | set(POI_KEYS) | {"place"})
    only_relation_areas = osmium.filter.IdFilter(col.area_ids)
    only_relation_areas.enable_for(osmium.osm.AREA)
    area_keys = osmium.filter.KeyFilter(*keys)
    assemble = areas.second_pass_handler(only_relation_areas, area_keys,
                                         _AreaHandler(col, sink))
    store = osmium.index.create_map("flex_mem")  # every object here must outlive the pass:
    locations = osmium.NodeLocationsForWays(store)  # the C++ side holds bare pointers
    locations.ignore_errors()
    nodes = osmium.filter.KeyFilter(*node_keys)
    nodes.enable_for(osmium.osm.NODE)
    ways = osmium.filter.KeyFilter(*keys)
    ways.enable_for(osmium.osm.WAY)
    only_nodes = osmium.filter.EntityFilter(osmium.osm.NODE)
    with osmium.io.Reader(where, osmium.osm.NODE | osmium.osm.WAY, thread_pool=pool) as rd:
        # The kept nodes still come to Python, untouched: they are only there to tell how far
        # the read is (the nodes are most of a file; a pure C++ ``apply`` would stay silent).
        it = osmium.OsmFileIterator(rd, locations, assemble, nodes, ways, sink.writer,
                                    only_nodes)
        for n, _ in enumerate(it):
            if not n & 0x1FFF:
                meter.tick()
    meter.tick()


