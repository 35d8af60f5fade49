"""Server-rendered resident pages: the community hub, my data and pass, and
self-registration from an invitation. No JavaScript needed (as for every community page).
Every form carries the CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.community.access import services as access
from rescity.community.residents import bulk_pages, privacy, registration
from rescity.community.residents import services as residents
from rescity.community.shared.deps import Rt
from rescity.community.shared.scoping import own_resident
from rescity.core.errors import Conflict, InputError, NotFound, TooManyRequests
from rescity.core.places import Place, PlaceLevel
from rescity.core.security.policy import Role
from rescity.web.deps import AuthDep, CurrentPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(prefix="/community", include_in_schema=False)


@router.get("")
def hub(page: Page, uow: UoW, principal: CurrentPrincipal) -> Response:
    me = own_resident(uow.session, principal)
    return page.render("community/hub.html", is_resident=me is not None,
                       resident_role=principal.has_role(Role.RESIDENT),
                       is_volunteer=principal.has_role(Role.VOLUNTEER))


@router.get("/me")
def my_page(page: Page, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    data = privacy.subject_export(uow, rt, principal)
    issued = access.current_pass(uow, rt, principal)
    return page.render("community/me.html", data=data, qr=access.qr_svg(issued.token),
                       pass_expires=issued.expires_at)


@router.get("/join")
def join_form(page: Page, uow: UoW, rt: Rt, code: str = "") -> Response:
    """Self-registration from the community's QR code (a link carrying the invitation code)."""
    grids = _grids_of(uow, rt, code)
    return page.render("community/join.html", code=code, grids=grids, error="", values={})


def _grids_of(uow: UoW, rt: Rt, code: str) -> list[Place]:
    if not code:
        return []
    try:
        invitation = registration.valid_invitation(uow, rt, code)
    except NotFound:
        return []
    return list(uow.session.scalars(
        select(Place).where(Place.path.startswith(invitation.scope, autoescape=True),
                            Place.level == PlaceLevel.GRID.value).order_by(Place.code)
    ))


@router.post("/join")
def join_submit(
    page: Page, uow: UoW, rt: Rt, _auth: AuthDep,  # checks the CSRF double-submit cookie
    code: Annotated[str, Form(max_length=32)], username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)], grid: Annotated[str, Form(max_length=64)],
    building: Annotated[str, Form(max_length=40)], room: Annotated[str, Form(max_length=20)],
    name: Annotated[str, Form(max_length=200)], unit: Annotated[str, Form(max_length=20)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    values = {"username": username, "grid": grid, "building": building, "unit": unit,
              "room": room, "name": name, "phone": phone}
    throttle = page.request.app.state.ctx.registration_throttle
    client = f"client:{page.request.client.host if page.request.client else '?'}"
    try:
        throttle.check(client)
    except TooManyRequests as exc:
        return page.render("community/join.html", status_code=429, code=code, grids=[],
                           error=str(exc), values=values)
    try:
        registration.self_register(uow, rt, registration.SelfRegistration(
            code=code, username=username.strip(), password=password, grid_code=grid,
            building=building, unit=unit, room=room, language=page.lang,
            resident=residents.NewResident(name=name, phone=phone or None),
        ))
    except (InputError, NotFound, Conflict) as exc:
        if isinstance(exc, NotFound):
            throttle.failed(client)
        message = "; ".join(str(p) for p in exc.problems) if isinstance(exc, InputError) else str(
            exc)
        uow.rollback()
        return page.render("community/join.html", status_code=422, code=code,
                           grids=_grids_of(uow, rt, code), error=message, values=values)
    return RedirectResponse("/login?next=/community/checkin", status_code=303)



# The office's import and export page (its own module), under /community/residents.
router.include_router(bulk_pages.router)
