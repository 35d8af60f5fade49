"""The reader's bulk paths: the (key, value) lookup of the taxonomy, way coordinates written by
libosmium and parsed in bulk, and ways whose nodes have no location."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pytest

from rescity.assess.adapters.osm_reader import EXTRA_KEYS, read_osm
from rescity.assess.domain.taxonomy import NAME_KEYS, Taxonomy, load_taxonomy


def classify_by_rules(tax: Taxonomy, tags: dict[str, str]) -> list[int]:
    """The rule table applied literally: every rule of every item, in order."""
    names = [tags[k].lower() for k in NAME_KEYS if k in tags]
    skip = any(k in tags for k in tax.name_rules_skip_keys)
    found = []
    for i, item in enumerate(tax.items):
        for rule in item.rules:
            if rule.name_only and (not names or skip):
                continue
            if rule.matches(tags, names):
                found.append(i)
                break
    return found


@pytest.mark.parametrize("city", ["nanjing_xinjiekou", "monaco", "porto_centro"])
def test_lookup_classifies_like_the_rule_table(osm_dir: Path, city: str) -> None:
    tax = load_taxonomy()
    keys = sorted(tax.keys | set(EXTRA_KEYS))
    n = hits = 0
    for o in osmium.FileProcessor(str(osm_dir / f"{city}.osm.pbf")).with_filter(
            osmium.filter.KeyFilter(*keys)):
        tags = {t.k: t.v for t in o.tags}
        expected = classify_by_rules(tax, tags)
        assert tax.classify(tags) == expected, tags
        n += 1
        hits += bool(expected)
    assert n > 1000 and hits > 50


def test_name_rules_are_found_through_the_hint() -> None:
    tax = load_taxonomy()
    school = tax.index("primary_school")
    assert school in tax.classify({"name": "南京市第一小学"})
    assert school not in tax.classify({"name": "小学路", "highway": "residential"})
    assert tax.classify({"name": "Nothing in particular"}) == []


def _write(path: Path, text: str) -> Path:
    opl = path.with_suffix(".opl")
    opl.write_text(text)
    w = osmium.SimpleWriter(str(path))
    osmium.apply(osmium.io.Reader(str(opl)), w)
    w.close()
    return path


SMALL = """\
n1 v1 x14.5 y35.9
n2 v1 x14.5010000 y35.9
n3 v1 x14.5010000 y35.9010000
n4 v1 x14.5 y35.9010000
n5 v1 x-14.5000001 y-35.9
n6 v1 x14.502 y35.9 Tamenity=pharmacy,name=Farmacia%20%Uno
w10 v1 Thighway=footway Nn1,n2,n3
w11 v1 Thighway=residential Nn3,n99,n4
w12 v1 Tbuilding=house,building:levels=2 Nn1,n2,n3,n4,n1
w13 v1 Tbuilding=yes Nn1,n2,n98,n1
w14 v1 Thighway=motorway Nn1,n4
w15 v1 Thighway=service,access=private Nn2,n97
w16 v1 Tamenity=school,name=Scola Nn1,n2,n3,n4,n1
w17 v1 Thighway=path Nn4,n1
"""


def test_ways_with_missing_node_locations_are_dropped_in_file_order(tmp_path: Path) -> None:
    osm = read_osm(_write(tmp_path / "small.osm.pbf", SMALL), load_taxonomy())
    # w11 and w13 name a node that is not in the file; w15 is dropped first for access.
    assert osm.dropped_ways == {"missing node locations": 2, "highway=motorway without sidewalk": 1,
                                "access=private": 1}
    assert list(osm.dropped_ways) == ["missing node locations", "highway=motorway without sidewalk",
                                      "access=private"]
    assert osm.n_walk_ways == 2  # w10, w17
    assert osm.node_ids.tolist() == [1, 2, 3, 4, 1]
    assert osm.way_ptr.tolist() == [0, 3, 5]
    assert osm.lon.tolist() == [14.5, 14.501, 14.501, 14.5, 14.5]
    assert osm.lat.tolist() == [35.9, 35.9, 35.901, 35.901, 35.9]
    assert [(b.osm_id, b.building, b.levels) for b in osm.buildings] == [(12, "house", 2.0)]
    assert [(f.osm_type, f.osm_id) for f in osm.facilities] == [("n", 6), ("w", 16)]
    assert osm.facilities[1].geometry.geom_type == "Polygon"
    assert osm.poi_lon.tolist() == [14.502]


def test_far_west_and_south_coordinates_are_exact(tmp_path: Path) -> None:
    text = SMALL.replace("Nn1,n2,n3\n", "Nn5,n1,n2,n3\n", 1)
    osm = read_osm(_write(tmp_path / "sw.osm.pbf", text), load_taxonomy())
    assert osm.node_ids[0] == 5
    assert osm.lon[0] == -14.5000001 and osm.lat[0] == -35.9
    assert osm.lon.dtype == np.float64
