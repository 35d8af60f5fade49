"""The one-screen dashboard page of a place."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from rescity.community.dashboard import services as dashboard
from rescity.community.shared.deps import Rt
from rescity.core.places import Place
from rescity.core.security.policy import Target, is_allowed
from rescity.web.deps import CurrentPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(prefix="/community", include_in_schema=False)



@router.get("/dashboard")
def dashboard_page(
    page: Page, uow: UoW, rt: Rt, principal: CurrentPrincipal, place: str = ""
) -> Response:
    if not place:
        grants = [g for g in principal.grants
                  if is_allowed(principal, "community.dashboard.read", Target(scope=g.scope))]
        if not grants:
            return page.render("community/dashboard.html", board=None, peak=1)
        place = str(uow.session.scalar(select(Place.code).where(Place.path == grants[0].scope)))
    board = dashboard.dashboard(uow, rt, principal, place_code=place)
    peak = max([1] + [max(h["in"] or 0, h["out"] or 0)
                      for h in board["figures"]["passages_by_hour"]])
    return page.render("community/dashboard.html", board=board, peak=peak)
