"""The dashboard API under ``/api/community``: desensitised figures for a place."""


from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from rescity.community.dashboard import services as dashboard
from rescity.community.shared.deps import (
    Rt,
)
from rescity.web.deps import CurrentPrincipal, UoW

router = APIRouter(prefix="/api/community", tags=["community"])


@router.get("/dashboard")
def get_dashboard(
    uow: UoW, rt: Rt, principal: CurrentPrincipal, place: Annotated[str, Query(max_length=64)]
) -> dict[str, Any]:
    """Desensitised figures (counts below k = 5 withheld as null) for a place and its parts."""
    return dashboard.dashboard(uow, rt, principal, place_code=place)
