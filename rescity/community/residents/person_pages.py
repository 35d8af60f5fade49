"""One resident's page for staff following up an alert or a missed check-in: who, where
(dwelling), a number to call (unmasked only for those holding its reveal action), and the
other members of the household. Reads are checked and audited as in the API."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from rescity.community.residents import services as residents
from rescity.community.shared.adapters import Resident
from rescity.community.shared.deps import Rt
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.web.deps import CurrentPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)

# Why a staff member opens a resident's page: to reach them (one of phone's reveal_purposes).
PURPOSE = "emergency"


@router.get("/community/residents/{resident_id}")
def resident_page(
    resident_id: int, page: Page, uow: UoW, rt: Rt, principal: CurrentPrincipal,
) -> Response:
    # 404 when the caller may not read this resident (as the API), the read audited.
    person = residents.read_resident(uow, rt, principal, resident_id, purpose=PURPOSE,
                                     reveal=("phone",))
    members = list(uow.session.scalars(
        select(Resident).where(Resident.household_id == person.household_id,
                               Resident.id != person.id, Resident.erased_at.is_(None))
        .order_by(Resident.id)))
    if members:
        audit.record(
            uow.session, principal, kind=AuditKind.READ, action="community.household.read",
            record_type="household", record_id=person.household_id, scope=person.scope,
            purpose=PURPOSE, detail={"members": [m.id for m in members][:100]},
        )
        uow.commit()
    return page.render("community/resident.html", person=person, members=members)
