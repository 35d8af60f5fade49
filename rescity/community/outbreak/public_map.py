"""The public case map: what the statistics page draws for a stored release.

Everything here reads the release's stored cells, which hold noised counts (or ``None`` for a
withheld cell) and nothing else, so the map can show no more than the table. The outlines
come from the grids' boundaries in core; only the grids named in the release are served
(code, names, geometry), so the public side learns no other place's outline.

The colour classes are computed here, once, so that the legend on the page and the colours
drawn by the browser come from the same numbers.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.outbreak.adapters import Release
from rescity.core.places import Place

# ColorBrewer YlGnBu (sequential, marked colour-blind safe), its lightest step left out so
# that the lowest class stays visible on the map's pale background.
PALETTE = ("#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")
MAX_LABELLED = 40  # grids on a map beyond which counts are not written on every grid


def geojson_url(release_id: int) -> str:
    return f"/api/outbreak/statistics/{release_id}/grids"


def classes(values: list[int]) -> list[dict[str, Any]]:
    """Up to five classes of equal integer width over the published counts, each with its
    colour; the palette is spread so that two classes are light and dark, not two lights."""
    if not values:
        return []
    low, high = min(values), max(values)
    n = min(len(PALETTE), high - low + 1)
    width = -(-(high - low + 1) // n)  # ceiling division
    bounds = []
    for i in range(n):
        lo = low + i * width
        if lo > high:
            break
        bounds.append((lo, min(high, lo + width - 1)))
    last = len(bounds) - 1
    picks = [round(i * (len(PALETTE) - 1) / last) if last else len(PALETTE) - 1
             for i in range(len(bounds))]
    return [{"low": lo, "high": hi, "colour": PALETTE[p]}
            for (lo, hi), p in zip(bounds, picks, strict=True)]


def map_data(release: Release) -> dict[str, Any]:
    """The numbers the page's script draws: released counts per period and grid, the classes,
    ε and k. Built from ``release.cells`` only."""
    periods = sorted({str(c["period"]) for c in release.cells})
    counts: dict[str, dict[str, int | None]] = {p: {} for p in periods}
    for c in release.cells:
        counts[str(c["period"])][str(c["grid"])] = c["count"]
    values = [int(c["count"]) for c in release.cells if c["count"] is not None]
    return {"release": release.id, "geojson": geojson_url(release.id),
            "granularity": release.granularity, "periods": periods, "counts": counts,
            "classes": classes(values), "epsilon": release.epsilon, "k": release.k,
            "maxLabelled": MAX_LABELLED}


def release_grids(session: Session, release: Release) -> list[Place]:
    codes = sorted({str(c["grid"]) for c in release.cells})
    if not codes:
        return []
    return list(session.scalars(select(Place).where(Place.code.in_(codes)).order_by(Place.code)))


def without_boundary(session: Session, release: Release) -> list[Place]:
    """The release's grids that have no outline: the page lists them under the map."""
    return [g for g in release_grids(session, release) if not g.boundary]


def grids_geojson(session: Session, release: Release) -> tuple[bytes, str]:
    """The outlines of the release's grids as a FeatureCollection, and its ETag."""
    features = [
        {"type": "Feature", "geometry": json.loads(g.boundary),
         "properties": {"code": g.code, "name_zh": g.name_zh, "name_en": g.name_en}}
        for g in release_grids(session, release) if g.boundary
    ]
    body = json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
