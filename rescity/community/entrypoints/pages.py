"""Server-rendered community pages: phone-first check-in, my data and pass, the grid
worker's alerts and missing list, and the one-screen dashboard. No JavaScript needed.

Every form carries the CSRF token and, for submissions, an idempotency key minted when the
page was rendered: a double tap or a resent form stores the check-in once.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.community.domain.alerts import AlertStatus
from rescity.community.domain.health import RiskQuestion, Symptom
from rescity.community.entrypoints.deps import Rt
from rescity.community.services import (
    access,
    alerts,
    checkins,
    dashboard,
    privacy,
    registration,
    residents,
)
from rescity.community.services.idempotency import IdemKey
from rescity.community.services.scoping import own_resident
from rescity.core.errors import Conflict, InputError, NotFound, TooManyRequests
from rescity.core.places import Place, PlaceLevel
from rescity.core.security.policy import Principal, Target, is_allowed
from rescity.web.deps import AuthDep, CurrentPrincipal, UoW, allow
from rescity.web.pages import Page

router = APIRouter(prefix="/community", include_in_schema=False)


@router.get("")
def hub(page: Page, uow: UoW, principal: CurrentPrincipal) -> Response:
    me = own_resident(uow.session, principal)
    return page.render("community/hub.html", is_resident=me is not None)


@router.get("/checkin")
def checkin_form(
    page: Page, uow: UoW, rt: Rt, principal: CurrentPrincipal, done: int = 0, fever: int = 0
) -> Response:
    me = own_resident(uow.session, principal)
    return page.render(
        "community/checkin.html", me=me, symptoms=list(Symptom), risks=list(RiskQuestion),
        idempotency_key=uuid.uuid4().hex, done=bool(done), fever=bool(fever), error="",
        today=rt.today(),
    )


@router.post("/checkin")
def checkin_submit(
    page: Page, uow: UoW, rt: Rt, principal: CurrentPrincipal,
    temperature_c: Annotated[str, Form(max_length=10)],
    idempotency_key: Annotated[str, Form(max_length=100)],
    symptoms: Annotated[list[Symptom] | None, Form()] = None,
    risk: Annotated[list[RiskQuestion] | None, Form()] = None,
) -> Response:
    try:
        value = float(temperature_c.replace(",", "."))
        data = checkins.NewCheckIn(
            temperature_c=value, symptoms=tuple(symptoms or ()), risk=tuple(risk or ()),
        )
        idem = IdemKey.of(principal.user_id, idempotency_key, "checkin",
                          {"t": value, "s": sorted(data.symptoms), "r": sorted(data.risk)})
        result = checkins.submit_checkin(uow, rt, principal, data, idem=idem)
    except (ValueError, InputError) as exc:
        message = page.t("c.checkin.bad_temperature") if not isinstance(exc, InputError) else (
            "; ".join(p.message for p in exc.problems))
        me = own_resident(uow.session, principal)
        return page.render(
            "community/checkin.html", status_code=422, me=me, symptoms=list(Symptom),
            risks=list(RiskQuestion), idempotency_key=idempotency_key, done=False, fever=False,
            error=message, today=rt.today(),
        )
    fever = int(bool(result.body.get("fever")))
    return RedirectResponse(f"/community/checkin?done=1&fever={fever}", status_code=303)


@router.get("/me")
def my_page(page: Page, uow: UoW, rt: Rt, principal: CurrentPrincipal) -> Response:
    data = privacy.subject_export(uow, rt, principal)
    issued = access.current_pass(uow, rt, principal)
    return page.render("community/me.html", data=data, qr=access.qr_svg(issued.token),
                       pass_expires=issued.expires_at)


@router.get("/alerts")
def alerts_page(
    page: Page, uow: UoW, principal: Annotated[Principal, Depends(allow("community.alert.read"))],
    status: str = "open",
) -> Response:
    rows = alerts.list_alerts(uow, principal)
    if status == "open":
        rows = [a for a in rows if a.status != AlertStatus.RESOLVED]
    return page.render("community/alerts.html", rows=rows, status=status)


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


@router.get("/missing")
def missing_page(
    page: Page, uow: UoW, rt: Rt,
    principal: Annotated[Principal, Depends(allow("community.checkin.read"))],
) -> Response:
    rows = checkins.missing(uow, rt, principal)
    return page.render("community/missing.html", rows=rows, today=rt.today())


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
