"""Check-in pages: the phone-first daily check-in and the grid worker's missing list.

The check-in form carries an idempotency key minted when the page was rendered: a double
tap or a resent form stores the check-in once.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.community.health import services as checkins
from rescity.community.health.domain import RiskQuestion, Symptom
from rescity.community.shared.adapters import Resident
from rescity.community.shared.deps import Rt
from rescity.community.shared.idempotency import IdemKey
from rescity.community.shared.scoping import own_resident
from rescity.core.errors import InputError, PermissionDenied
from rescity.core.security.policy import Principal
from rescity.web.deps import CurrentPrincipal, UoW, allow
from rescity.web.pages import Page

router = APIRouter(prefix="/community", include_in_schema=False)


def household_of(uow: UoW, me: Resident | None) -> list[Resident]:
    """Whom a resident may check in for on this page: themselves first, then the other
    members of their household (a parent without a phone, a child)."""
    if me is None:
        return []
    others = uow.session.scalars(
        select(Resident).where(Resident.household_id == me.household_id, Resident.id != me.id,
                               Resident.erased_at.is_(None), Resident.left_at.is_(None))
        .order_by(Resident.id))
    return [me, *others]


@router.get("/checkin")
def checkin_form(
    page: Page, uow: UoW, rt: Rt, principal: CurrentPrincipal, done: int = 0, fever: int = 0,
    who: int = 0,
) -> Response:
    me = own_resident(uow.session, principal)
    members = household_of(uow, me)
    done_for = next((m.name for m in members[1:] if m.id == who), "")
    return page.render(
        "community/checkin.html", me=me, members=members, chosen=me.id if me else 0,
        symptoms=list(Symptom), risks=list(RiskQuestion), idempotency_key=uuid.uuid4().hex,
        done=bool(done), fever=bool(fever), done_for=done_for, error="", today=rt.today(),
    )


@router.post("/checkin")
def checkin_submit(
    page: Page, uow: UoW, rt: Rt, principal: CurrentPrincipal,
    temperature_c: Annotated[str, Form(max_length=10)],
    idempotency_key: Annotated[str, Form(max_length=100)],
    symptoms: Annotated[list[Symptom] | None, Form()] = None,
    risk: Annotated[list[RiskQuestion] | None, Form()] = None,
    resident_id: Annotated[int | None, Form()] = None,
) -> Response:
    me = own_resident(uow.session, principal)
    members = household_of(uow, me)
    on_behalf = resident_id is not None and me is not None and resident_id != me.id
    if on_behalf and resident_id not in {m.id for m in members}:
        # Only one's own household, whatever the API would allow a staff member.
        raise PermissionDenied(f"resident {resident_id} is not a member of your household")
    try:
        value = float(temperature_c.replace(",", "."))
        data = checkins.NewCheckIn(
            temperature_c=value, symptoms=tuple(symptoms or ()), risk=tuple(risk or ()),
            resident_id=resident_id if on_behalf else None,
        )
        idem = IdemKey.of(principal.user_id, idempotency_key, "checkin",
                          {"t": value, "s": sorted(data.symptoms), "r": sorted(data.risk),
                           "m": data.resident_id})
        result = checkins.submit_checkin(uow, rt, principal, data, idem=idem)
    except (ValueError, InputError) as exc:
        message = page.t("c.checkin.bad_temperature") if not isinstance(exc, InputError) else (
            "; ".join(p.message for p in exc.problems))
        return page.render(
            "community/checkin.html", status_code=422, me=me, members=members,
            chosen=resident_id or (me.id if me else 0), symptoms=list(Symptom),
            risks=list(RiskQuestion), idempotency_key=idempotency_key, done=False, fever=False,
            done_for="", error=message, today=rt.today(),
        )
    fever = int(bool(result.body.get("fever")))
    who = f"&who={resident_id}" if on_behalf else ""
    return RedirectResponse(f"/community/checkin?done=1&fever={fever}{who}", status_code=303)


@router.get("/missing")
def missing_page(
    page: Page, uow: UoW, rt: Rt,
    principal: Annotated[Principal, Depends(allow("community.checkin.read"))],
) -> Response:
    rows = checkins.missing(uow, rt, principal)
    return page.render("community/missing.html", rows=rows, today=rt.today())
