"""The health office's page: buildings by status (a board per grid and a table), with case
counts where case records exist, and the form to set or lift a status. Forms post here and
are answered with a redirect; the same services as the API decide."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.community.control import permits, services
from rescity.community.control.adapters import ExitPermit
from rescity.community.control.domain import RULE_KEYS, status_kinds
from rescity.community.shared.deps import Rt
from rescity.core.errors import InputError, Problem
from rescity.core.places import Place, PlaceLevel
from rescity.core.security.policy import Target, is_allowed, require, visible_scopes
from rescity.web.deps import CurrentPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


@router.get("/community/control")
def control_page(page: Page, uow: UoW, rt: Rt, principal: CurrentPrincipal,
                 done: str = "") -> Response:
    require(principal, services.READ, Target(scope=None, owner_id=principal.user_id))
    board = services.building_board(uow, principal, rt.now())
    grids: dict[str, list[services.BuildingRow]] = {}
    for row in board:
        grids.setdefault(row.grid, []).append(row)
    scopes = visible_scopes(principal, services.SET)
    places = [p for p in uow.session.scalars(select(Place).where(
        Place.level.in_([PlaceLevel.GRID.value, PlaceLevel.COMMUNITY.value])).order_by(Place.path))
        if any(p.path.startswith(s) for s in scopes)]
    statuses = services.list_statuses(uow.session, principal, rt.now())
    names = {p.id: p for p in uow.session.scalars(
        select(Place).where(Place.id.in_({s.place_id for s in statuses})))}
    return page.render(
        "community_control/control.html", grids=grids, board=board, kinds=status_kinds(),
        places=places, statuses=statuses, names=names, now=rt.now(), done=done,
        can_set=bool(scopes),
        can_lift={s.id: is_allowed(principal, services.SET, Target(scope=s.scope))
                  for s in statuses},
        has_cases=any(r.cases is not None for r in board),
        rules={k.key: page.t(RULE_KEYS[k.gate], n=k.exits_per_day)
               for k in status_kinds().values()},
        can_permit=bool(visible_scopes(principal, permits.PERMIT)), reasons=permits.REASONS,
        permits=list(uow.session.scalars(select(ExitPermit).where(
            services.visible(ExitPermit.scope, principal, permits.PERMIT),
            ExitPermit.revoked_at.is_(None), ExitPermit.valid_until > rt.now(),
        ).order_by(ExitPermit.valid_until).limit(200))))


def _moment(value: str, rt: Rt, field: str) -> datetime | None:
    """A ``datetime-local`` value in the community's time zone, as UTC."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=rt.zone)
    except ValueError:
        raise InputError([Problem(field, "a date and time")], source="control status") from None


@router.post("/community/control")
def set_form(
    uow: UoW, rt: Rt, principal: CurrentPrincipal,
    place: Annotated[str, Form(max_length=64)],
    status: Annotated[str, Form(max_length=30)],
    building: Annotated[str, Form(max_length=40)] = "",
    starts_at: Annotated[str, Form(max_length=30)] = "",
    ends_at: Annotated[str, Form(max_length=30)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    services.set_status(uow, principal, rt.now(), services.NewStatus(
        place=place, status=status, building=building,
        starts_at=_moment(starts_at, rt, "starts_at"), ends_at=_moment(ends_at, rt, "ends_at"),
        note=note))
    return RedirectResponse("/community/control?done=set", status_code=303)


@router.post("/community/control/{status_id}/lift")
def lift_form(status_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    services.lift_status(uow, principal, rt.now(), status_id)
    return RedirectResponse("/community/control?done=lifted", status_code=303)


@router.post("/community/control/permits")
def permit_form(
    uow: UoW, rt: Rt, principal: CurrentPrincipal,
    resident_id: Annotated[int, Form()],
    reason: Annotated[str, Form(max_length=30)],
    valid_until: Annotated[str, Form(max_length=30)],
) -> Response:
    until = _moment(valid_until, rt, "valid_until")
    if until is None:
        raise InputError([Problem("valid_until", "a date and time")], source="exit permit")
    permits.issue_permit(uow, principal, rt.now(), resident_id=resident_id, reason=reason,
                         valid_until=until)
    return RedirectResponse("/community/control?done=permit", status_code=303)


@router.post("/community/control/permits/{permit_id}/revoke")
def revoke_form(permit_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    permits.revoke_permit(uow, principal, rt.now(), permit_id)
    return RedirectResponse("/community/control?done=revoked", status_code=303)
