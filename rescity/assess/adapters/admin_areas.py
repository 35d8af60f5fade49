"""Administrative areas read from an OSM extract itself, by level and name: what population
estimates are compared with (census figures are published per such area)."""

from __future__ import annotations

from pathlib import Path

import osmium
import shapely


def admin_area(path: Path, level: str, names: tuple[str, ...]) -> shapely.Geometry:
    """The union of the ``boundary=administrative`` relations of ``admin_level`` ``level``
    whose name is one of ``names`` or ends with " <name>" (Munich's are called "Bezirksteil
    Graggenau" …); found by tags, not ids, so that a newer extract still finds them.

    Raises ValueError naming the areas the extract lacks."""
    wkb = osmium.geom.WKBFactory()
    found: dict[str, shapely.Geometry] = {}
    for obj in osmium.FileProcessor(str(path)).with_areas():
        if (isinstance(obj, osmium.osm.Area) and not obj.from_way()
                and obj.tags.get("boundary") == "administrative"
                and obj.tags.get("admin_level") == level):
            name = obj.tags.get("name") or ""
            for n in names:
                if name == n or name.endswith(" " + n):
                    found[n] = shapely.from_wkb(wkb.create_multipolygon(obj))
    missing = sorted(set(names) - set(found))
    if missing:
        raise ValueError(f"{path.name}: administrative areas missing (admin_level {level}): "
                         f"{', '.join(missing)}")
    return shapely.union_all(list(found.values()))
