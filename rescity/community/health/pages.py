"""Check-in pages: the phone-first daily check-in and the grid worker's missing list.

The check-in form carries an idempotency key minted when the page was rendered: a double
tap or a resent form stores the check-in once.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

from rescity.community.health import services as checkins
from rescity.community.health.domain import RiskQuestion, Symptom
from rescity.community.shared.deps import Rt
from rescity.community.shared.idempotency import IdemKey
from rescity.community.shared.scoping import own_resident
from rescity.core.errors import InputError
from rescity.core.security.policy import Principal
from rescity.web.deps import CurrentPrincipal, UoW, allow
from rescity.web.pages import Page

router = APIRouter(prefix="/community", include_in_schema=False)



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


@router.get("/missing")
def missing_page(
    page: Page, uow: UoW, rt: Rt,
    principal: Annotated[Principal, Depends(allow("community.checkin.read"))],
) -> Response:
    rows = checkins.missing(uow, rt, principal)
    return page.render("community/missing.html", rows=rows, today=rt.today())
