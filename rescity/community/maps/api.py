"""``GET /api/community/map``: the staff map's items as GeoJSON, inside the reader's scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from rescity.community.maps import services as staff_map
from rescity.web.deps import CurrentPrincipal, Language, T, UoW

router = APIRouter(prefix="/api/community", tags=["community: map"])


@router.get("/map")
def map_items(
    uow: UoW, principal: CurrentPrincipal, lang: Language, t: T,
    kind: Annotated[list[str] | None, Query()] = None,
    status: Annotated[str, Query(max_length=20)] = "open",
) -> dict[str, Any]:
    """Open cases, help requests and alerts (``kind`` to choose, ``status`` one status or
    ``open``) as a FeatureCollection of points, with per-grid counts in ``grids``. Items
    without coordinates sit at a point inside their grid with ``located: false``. Each layer
    is limited to the places where the caller may read it; 403 for a caller who may read
    none. No names, phones or addresses: kind, status, public id, grid and a link."""
    data = staff_map.map_data(uow.session, principal, kinds=kind or [], status=status, t=t)
    return staff_map.as_geojson(data, lang, t)
