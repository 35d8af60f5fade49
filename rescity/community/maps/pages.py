"""The staff map page and the place boundaries it (and the location picker) draws on.

The page works without JavaScript as a table of counts per grid with the same filters; with
it, Leaflet draws the boundaries (no tile server) and the items from ``/api/community/map``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from rescity.community.maps import services as staff_map
from rescity.web.deps import CurrentPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


@router.get("/community/map")
def map_page(
    page: Page, uow: UoW, principal: CurrentPrincipal,
    kind: Annotated[list[str] | None, Query()] = None,
    status: Annotated[str, Query(max_length=20)] = "open",
) -> Response:
    data = staff_map.map_data(uow.session, principal, kinds=kind or [], status=status,
                              t=page.t)
    readable = staff_map.readable_kinds(principal)
    grids = sorted(data.grids.values(), key=lambda g: g.colour)
    return page.render("community_maps/map.html", data=data, grids=grids, readable=readable,
                       statuses=("open", *staff_map.ALL_STATUSES), chosen=kind or [],
                       located=sum(1 for i in data.items if i.lat is not None),
                       query=urlencode([("kind", k) for k in data.kinds]
                                       + [("status", data.status)]))


@router.get("/community/places.geojson")
def places_geojson(uow: UoW, principal: CurrentPrincipal) -> Response:
    """Boundaries of the places the signed-in user may see: the basemap of the staff map and
    of the location picker on the report and help forms."""
    body: dict[str, Any] = staff_map.boundaries(uow.session, principal)
    return JSONResponse(body)
