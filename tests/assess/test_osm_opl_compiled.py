"""The compiled OPL loop (``_opl``) reads what libosmium writes exactly as libosmium and the
Python decoder do: coordinates to the bit, and tag fields it does not take left to Python."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import osmium

from rescity.assess.adapters.osm_reader import read_osm
from rescity.assess.adapters.osm_ways import _decode_tags, decode_tags
from rescity.assess.domain.taxonomy import load_taxonomy

# Locations at the edges of libosmium's fixed-point text: signs, no decimals, all seven,
# trailing zeros dropped, the antimeridian and the poles.
LOCATIONS = [(14.5, 35.9), (-0.0000001, 0.0000001), (-179.9999999, -89.9999999),
             (180.0, 90.0), (0.0, 0.0), (12.3456789, -45.0000001), (-3.1, 51.1234567),
             (100.0000009, 1.9999999)]


def test_coordinates_are_the_doubles_libosmium_reads(tmp_path: Path) -> None:
    path = tmp_path / "edges.osm"
    writer = osmium.SimpleWriter(str(path))
    for i, loc in enumerate(LOCATIONS, start=1):
        writer.add_node(osmium.osm.mutable.Node(id=i, location=loc))
    writer.add_way(osmium.osm.mutable.Way(id=1, nodes=list(range(1, len(LOCATIONS) + 1)),
                                          tags={"highway": "footway"}))
    writer.close()
    expected = []
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE):
        node = cast(osmium.osm.Node, obj)  # valid only until the next object
        expected.append((node.location.lon, node.location.lat))
    osm = read_osm(path, load_taxonomy())
    assert osm.node_ids.tolist() == list(range(1, len(LOCATIONS) + 1))
    assert np.array_equal(np.column_stack([osm.lon, osm.lat]), np.array(expected))


def test_tag_fields_the_compiled_decoder_does_not_take_go_to_python() -> None:
    for field in (b"Tname=100%zz%,a=b", b"Tnote=50%%,x=y", b"Tk=v%110000%", b"Tbad"):
        try:
            expected: object = _decode_tags(field)
        except ValueError as exc:
            expected = type(exc)
        try:
            got: object = decode_tags(field)
        except ValueError as exc:
            got = type(exc)
        assert got == expected
    assert decode_tags(b"T") == {}
    assert decode_tags(b"Tname=Triq%20%il-Kbira,k%3d%=v%2c%") == {"name": "Triq il-Kbira",
                                                                  "k=": "v,"}
