"""The reader takes tags from libosmium's OPL text (``osm_ways.decode_tags``) and places relation
areas among the ways where osmium delivers them: both checked against plain pyosmium."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import osmium
import pytest

from rescity.assess.adapters import osm_reader, osm_ways
from rescity.assess.adapters.osm_reader import EXTRA_KEYS, POI_KEYS, Feature, OsmData, read_osm
from rescity.assess.adapters.osm_ways import decode_tags
from rescity.assess.domain.taxonomy import load_taxonomy


def _opl_tag_fields(path: Path, tmp: Path, *handlers: object) -> list[bytes]:
    out = tmp / "objects.opl"
    writer = osmium.SimpleWriter(osmium.io.File(str(out), "opl,add_metadata=false"))
    with osmium.io.Reader(str(path), osmium.osm.NODE | osmium.osm.WAY) as rd:
        osmium.apply(rd, *handlers, writer)
    writer.close()
    return [line.split(b" ")[1] for line in out.read_bytes().splitlines()]


@pytest.mark.parametrize("city", ["nanjing_xinjiekou", "monaco", "porto_centro"])
def test_decoded_tags_equal_pyosmiums(osm_dir: Path, tmp_path: Path, city: str) -> None:
    tax = load_taxonomy()
    keys = sorted(tax.keys | set(EXTRA_KEYS) | set(POI_KEYS))
    path = osm_dir / f"{city}.osm.pbf"
    fields = _opl_tag_fields(path, tmp_path, osmium.filter.KeyFilter(*keys))
    expected = [{t.k: t.v for t in o.tags} for o in osmium.FileProcessor(
        str(path), osmium.osm.NODE | osmium.osm.WAY).with_filter(osmium.filter.KeyFilter(*keys))]
    assert len(fields) == len(expected) > 1000
    decoded = [decode_tags(f) for f in fields]
    assert decoded == expected
    assert sum(b"%" in f for f in fields) > 100  # escapes were exercised


TRICKY = {
    "name": "A, B = C % D",
    "name:zh": "新街口 地铁站",
    "note": "100%2c%literal",
    "k=ey,": "v%20%",
    "emoji": "🚲 ok",
    "empty": "",
    "tab\tnewline\n": "x",
}


def test_escaped_separators_and_percent_signs_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "tricky.opl"
    writer = osmium.SimpleWriter(osmium.io.File(str(out), "opl,add_metadata=false"))
    writer.add_node(osmium.osm.mutable.Node(id=1, location=(14.5, 35.9), tags=TRICKY))
    writer.add_node(osmium.osm.mutable.Node(id=2, location=(14.5, 35.9),
                                            tags={"name": "plain %41% text"}))
    writer.close()
    lines = out.read_bytes().splitlines()
    assert decode_tags(lines[0].split(b" ")[1]) == TRICKY
    assert decode_tags(lines[1].split(b" ")[1]) == {"name": "plain %41% text"}


def _areas_in_stream_order(path: Path) -> list[tuple[str, int]]:
    """Every kept node and way and each relation area, in the order one pyosmium loop over the
    file meets them (an area right after the object osmium handed it over with)."""
    tax = load_taxonomy()
    keys = sorted(tax.keys | set(EXTRA_KEYS))
    areas = osmium.area.AreaManager()
    with osmium.io.Reader(str(path), osmium.osm.RELATION) as rd:
        osmium.apply(rd, osmium.filter.KeyFilter(*keys), areas.first_pass_handler())
    buffered = osmium.BufferIterator(osmium.filter.KeyFilter(*keys))
    store = osmium.index.create_map("flex_mem")  # kept alive: C++ holds bare pointers
    locations = osmium.NodeLocationsForWays(store)
    locations.ignore_errors()
    nodes = osmium.filter.KeyFilter(*sorted(tax.keys | set(POI_KEYS) | {"place"}))
    nodes.enable_for(osmium.osm.NODE)
    ways = osmium.filter.KeyFilter(*keys)
    ways.enable_for(osmium.osm.WAY)
    order: list[tuple[str, int]] = []
    assemble = areas.second_pass_to_buffer(buffered)
    with osmium.io.Reader(str(path), osmium.osm.NODE | osmium.osm.WAY) as rd:
        for o in osmium.OsmFileIterator(rd, locations, assemble, nodes, ways):
            order.append(("n" if isinstance(o, osmium.osm.Node) else "w", o.id))
            order += _relation_areas(buffered)
    return order + _relation_areas(buffered)


def _relation_areas(buffered: osmium.BufferIterator) -> list[tuple[str, int]]:
    found = []
    for obj in buffered:  # each object is valid only until the next one
        area = cast(osmium.osm.Area, obj)
        if not area.from_way():
            found.append(("r", area.orig_id()))
    return found


@pytest.mark.parametrize("city", ["monaco", "porto_centro"])
def test_features_keep_the_order_of_one_pass_over_the_file(osm_dir: Path, city: str) -> None:
    path = osm_dir / f"{city}.osm.pbf"
    position = {obj: i for i, obj in enumerate(_areas_in_stream_order(path))}
    osm = read_osm(path, load_taxonomy())
    for features in (osm.facilities, osm.buildings, osm.residential):
        at = [position[(f.osm_type, f.osm_id)] for f in features]
        assert at == sorted(at)
    if city == "porto_centro":  # relation areas come between ways, not all at the end
        kinds = [f.osm_type for f in osm.facilities]
        assert "r" in kinds and kinds.index("r") < len(kinds) - kinds[::-1].index("w") - 1


def test_the_read_leaves_garbage_collection_as_it_found_it(osm_dir: Path, tmp_path: Path) -> None:
    import gc

    from rescity.core.errors import DataFileError

    assert gc.isenabled()
    read_osm(osm_dir / "monaco.osm.pbf", load_taxonomy())
    assert gc.isenabled()
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes((osm_dir / "monaco.osm.pbf").read_bytes()[:5000])
    with pytest.raises(DataFileError):
        read_osm(broken, load_taxonomy())
    assert gc.isenabled()
    gc.disable()
    try:
        read_osm(osm_dir / "monaco.osm.pbf", load_taxonomy())
        assert not gc.isenabled()
    finally:
        gc.enable()


def _everything(osm: OsmData) -> list[object]:
    def rows(features: list[Feature]) -> list[tuple[object, ...]]:
        return [(f.osm_type, f.osm_id, f.name, f.geometry.wkb, f.items, f.building,
                 str(f.levels), f.use) for f in features]
    return [osm.way_ptr.tolist(), osm.node_ids.tolist(), osm.lon.tolist(), osm.lat.tolist(),
            osm.poi_lon.tolist(), osm.poi_lat.tolist(), rows(osm.facilities),
            rows(osm.residential), rows(osm.buildings), rows(osm.places),
            list(osm.dropped_ways.items()), osm.failed_areas, osm.stop_areas,
            [g.wkb for g in osm.water], [g.wkb for g in osm.other_landuse]]


def test_small_chunks_and_a_small_rule_cache_read_the_same(
        osm_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Objects, area markers and the areas still due cross chunk boundaries; the rule cache is
    # emptied between chunks: none of it may change the read.
    path = osm_dir / "porto_centro.osm.pbf"
    whole = _everything(read_osm(path, load_taxonomy()))
    monkeypatch.setattr(osm_ways, "CHUNK", 1 << 12)
    monkeypatch.setattr(osm_reader, "RULE_CACHE", 50)
    assert _everything(read_osm(path, load_taxonomy())) == whole


@pytest.mark.skipif(not Path("/proc/self/io").is_file(), reason="reads /proc/self/io")
def test_progress_moves_while_the_written_objects_are_read_back(
        osm_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # After libosmium's pass the objects are read back chunk by chunk (on a megacity, tens of
    # seconds): the second half of the scale, so the bar does not stand still at the end.
    monkeypatch.setattr(osm_ways, "CHUNK", 1 << 16)
    shares: list[float] = []
    read_osm(osm_dir / "porto_centro.osm.pbf", load_taxonomy(), on_progress=shares.append)
    assert shares == sorted(shares)
    assert len([s for s in shares if 0.5 < s < 1.0]) >= 3
    assert shares[-1] == 1.0
