"""Volunteer pages: the public sign-up (``/community/volunteers/signup``) and the grid
workers' list with search and vetting (``/community/volunteers``); forms answered with
post/redirect/get, or the form again with the problems named."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from rescity.community.cases.deps import Runtime
from rescity.community.help import shifts, signup, vetting
from rescity.community.help.domain import Vetting, help_rules
from rescity.community.help.volunteers import CONSENT_VERSION, own_volunteer
from rescity.community.shared.deps import back
from rescity.core.errors import Conflict, InputError, TooManyRequests
from rescity.core.places import Place, PlaceLevel
from rescity.core.security.policy import require
from rescity.web.deps import CurrentPrincipal, OptionalPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


def _grids(uow: UoW) -> list[tuple[Place, list[Place]]]:
    """Grids by community, for the sign-up's choice of grid."""
    s = uow.session
    communities = list(s.scalars(select(Place).where(Place.level == PlaceLevel.COMMUNITY.value)
                                 .order_by(Place.code)))
    grids = list(s.scalars(select(Place).where(Place.level == PlaceLevel.GRID.value)
                           .order_by(Place.code)))
    return [(c, [g for g in grids if g.path.startswith(c.path)]) for c in communities]


def _signup_page(page: Page, uow: UoW, principal: OptionalPrincipal, *, status_code: int = 200,
                 error: str = "", values: dict[str, object] | None = None, done: str = ""
                 ) -> Response:
    mine = own_volunteer(uow.session, principal) if principal else None
    return page.render(
        "community_ops/volunteer_signup.html", status_code=status_code, rules=help_rules(),
        groups=_grids(uow), days=shifts.DAYS, error=error, values=values or {},
        volunteer=mine, consent_version=CONSENT_VERSION, done=done == "slots",
        extra_rows=range(len(mine.slots) if mine else 0, (len(mine.slots) if mine else 0) + 3))


@router.get("/community/volunteers/signup")
def signup_page(page: Page, uow: UoW, principal: OptionalPrincipal, done: str = "") -> Response:
    return _signup_page(page, uow, principal, done=done)


async def _slots_from_form(request: Request) -> list[dict[str, str]]:
    """One optional slot a day on the page: ``start_mon`` / ``end_mon`` …"""
    form = await request.form()
    out = []
    for day in shifts.DAYS:
        start, end = str(form.get(f"start_{day}", "")), str(form.get(f"end_{day}", ""))
        if start or end:
            out.append({"day": day, "start": start, "end": "24:00" if end == "00:00" and
                        start != "00:00" else end})
    return out


async def _slots_from_rows(request: Request) -> list[dict[str, str]]:
    """Numbered rows on the shifts form: ``day_0`` / ``start_0`` / ``end_0`` …"""
    form = await request.form()
    out = []
    for i in range(shifts.MAX_SLOTS):
        day, start, end = (str(form.get(f"{k}_{i}", "")) for k in ("day", "start", "end"))
        if start or end:
            out.append({"day": day, "start": start, "end": "24:00" if end == "00:00" and
                        start != "00:00" else end})
    return out


@router.post("/community/volunteers/me/slots")
async def slots_form(request: Request, page: Page, uow: UoW, rt: Runtime,
                     principal: CurrentPrincipal) -> Response:
    """A volunteer changes their weekly shifts (every row empty: any time)."""
    try:
        signup.set_slots(uow, rt, principal, await _slots_from_rows(request))
    except InputError as exc:
        uow.rollback()
        return _signup_page(page, uow, principal, status_code=422,
                            error="; ".join(str(p) for p in exc.problems))
    return back("/community/volunteers/signup?done=slots")


@router.post("/community/volunteers/signup")
async def signup_form(
    request: Request, page: Page, uow: UoW, rt: Runtime, principal: OptionalPrincipal,
    grid: Annotated[str, Form(max_length=64)], display_name: Annotated[str, Form(max_length=100)],
    phone: Annotated[str, Form(max_length=40)] = "",
    skills: Annotated[list[str] | None, Form(max_length=20)] = None,
    languages: Annotated[list[str] | None, Form(max_length=12)] = None,
    consent: Annotated[bool, Form()] = False,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    slots = await _slots_from_form(request)
    values: dict[str, object] = {"grid": grid, "display_name": display_name, "phone": phone,
                                 "skills": skills or [], "languages": languages or [],
                                 "username": username,
                                 "slots": {s["day"]: s for s in slots}}
    throttle = page.request.app.state.ctx.registration_throttle
    client = f"client:{request.client.host if request.client else '?'}"
    try:
        if principal is None:
            throttle.check(client)
        signup.sign_up(uow, rt, principal, signup.SignUp(
            grid=grid, display_name=display_name, phone=phone, skills=skills or [],
            languages=languages or [page.lang], slots=slots, consent=consent,
            username=username, password=password, language=page.lang), help_rules())
    except (InputError, Conflict, TooManyRequests) as exc:
        uow.rollback()
        if principal is None and not isinstance(exc, TooManyRequests):
            throttle.failed(client)
        message = "; ".join(str(p) for p in exc.problems) if isinstance(exc, InputError) \
            else str(exc)
        return _signup_page(page, uow, principal, error=message, values=values,
                            status_code=429 if isinstance(exc, TooManyRequests) else 422)
    if principal is None:
        return back("/login?next=/community/help/offers")
    return back("/community/help/offers?signed_up=1")


@router.get("/community/volunteers")
def volunteers_page(page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
                    skill: str = "", grid: str = "", state: str = "", now: bool = False,
                    purpose: str = "", done: str = "") -> Response:
    require(principal, vetting.LIST_ACTION)
    q = vetting.Search(skill=skill, grid=grid, state=state, available_now=now, purpose=purpose)
    error = ""
    try:
        found = vetting.search(uow, rt, principal, q, help_rules().skills)
    except InputError as exc:
        found, error = [], "; ".join(str(p) for p in exc.problems)
    places = {p.path: p for p in uow.session.scalars(
        select(Place).where(Place.path.in_({f.volunteer.scope for f in found})))}
    return page.render(
        "community_ops/volunteers.html", found=found, places=places, q=q, rules=help_rules(),
        groups=_grids(uow), error=error, done=done, states=list(Vetting))


@router.post("/community/volunteers/{volunteer_id}/vet")
def vet_form(
    volunteer_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    state: Annotated[Vetting, Form()],
    organisation: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=300)] = "",
    back_to: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    vetting.decide(uow, rt, principal, volunteer_id, state=state, organisation=organisation,
                   reason=reason)
    query = back_to if back_to.startswith("?") else ""
    sep = "&" if query else "?"
    return back(f"/community/volunteers{query}{sep}done={state.value}-{volunteer_id}")
