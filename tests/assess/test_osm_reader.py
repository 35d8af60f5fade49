"""The reader's own bookkeeping, checked against plain pyosmium passes over the shared extracts."""

from __future__ import annotations

from pathlib import Path

import osmium
import pytest

from rescity.assess.adapters.osm_reader import read_osm
from rescity.assess.domain.taxonomy import load_taxonomy


def unassembled_multipolygons(path: Path) -> set[int]:
    """Multipolygon relations the reader wants (residential land, a building, a facility)
    for which osmium's own area assembly (a separate, unfiltered pass) yields no area."""
    taxonomy = load_taxonomy()
    wanted: set[int] = set()
    assembled: set[int] = set()
    for obj in osmium.FileProcessor(str(path)).with_areas():
        if isinstance(obj, osmium.osm.Relation):
            tags = {t.k: t.v for t in obj.tags}
            if tags.get("type") == "multipolygon" and (
                    tags.get("landuse") == "residential" or "building" in tags
                    or taxonomy.classify(tags)):
                wanted.add(obj.id)
        elif isinstance(obj, osmium.osm.Area) and not obj.from_way():
            assembled.add(obj.orig_id())
    return wanted - assembled


@pytest.mark.parametrize("city", ["monaco", "munich_altstadt", "porto_centro"])
def test_failed_multipolygons_are_only_those_osmium_cannot_assemble(
        osm_dir: Path, city: str) -> None:
    # Osmium may emit a relation's area before the relation object; such a relation was once
    # left "pending" and counted as failed (Munich 47, Porto 101, while osmium failed on 0-2).
    path = osm_dir / f"{city}.osm.pbf"
    osm = read_osm(path, load_taxonomy())
    expected = unassembled_multipolygons(path)
    assert set(osm.failed_areas) == expected
    assert len(expected) <= 2
