"""Place boundaries: which place contains a point, and importing the hierarchy from files.

Boundaries are GeoJSON text on :class:`rescity.core.places.Place` with a bounding box in
plain columns, so the same code runs on SQLite and on PostgreSQL without PostGIS. Other
modules call one function each:

- :func:`locate` — the innermost place containing a point (``None`` outside every boundary);
- :func:`require_inside` — the same, raising :class:`~rescity.core.errors.InputError` for a
  point outside the deployment's boundaries (or outside ``within``);
- :func:`rescity.core.boundaries.importer.import_places` — create or update the hierarchy
  from GeoJSON or GeoPackage, all or nothing.

shapely is imported only when a boundary is actually tested, so importing this package costs
nothing to commands that never look at geometry.
"""

from rescity.core.boundaries.locate import EDGE_TOLERANCE_DEG, covering, locate, require_inside

__all__ = ["EDGE_TOLERANCE_DEG", "covering", "locate", "require_inside"]
