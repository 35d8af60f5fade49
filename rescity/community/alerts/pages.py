"""The grid worker's alert list, with acknowledge and resolve buttons."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

from rescity.community.alerts import services as alerts
from rescity.community.alerts.domain import AlertStatus
from rescity.community.alerts.subjects import subjects
from rescity.community.shared.deps import Rt
from rescity.core.errors import InputError
from rescity.core.security.policy import Principal
from rescity.web.deps import CurrentPrincipal, UoW, allow
from rescity.web.pages import Page

router = APIRouter(prefix="/community", include_in_schema=False)


@router.get("/alerts")
def alerts_page(
    page: Page, uow: UoW, rt: Rt,
    principal: Annotated[Principal, Depends(allow("community.alert.read"))],
    status: str = "open",
) -> Response:
    rows = alerts.list_alerts(uow, principal)
    if status == "open":
        rows = [a for a in rows if a.status != AlertStatus.RESOLVED]
    about = subjects(uow, rt, principal, rows, lang=page.lang)
    return page.render("community/alerts.html", rows=rows, status=status, about=about)


@router.post("/alerts/{alert_id}/{move}")
def alert_move(
    alert_id: int, move: str, uow: UoW, rt: Rt, principal: CurrentPrincipal,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    target = {"acknowledge": AlertStatus.ACKNOWLEDGED, "resolve": AlertStatus.RESOLVED}.get(move)
    if target is None:
        raise InputError("unknown alert action", source="move")
    alerts.transition(uow, rt, principal, alert_id, target, note=note)
    return RedirectResponse("/community/alerts", status_code=303)
