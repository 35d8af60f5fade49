"""Action plan pages: list, the IUC template form, view and update, milestone status.

Plans are shown only to their programme's members (services/plans.py decides); a visitor
gets 403 and never the contact.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.core.errors import InputError
from rescity.core.security.policy import is_allowed
from rescity.knowledge.adapters.orm import City, Initiative, Programme
from rescity.knowledge.services import plans
from rescity.knowledge.services.initiatives import split_lines
from rescity.web.deps import CurrentPrincipal, OptionalPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)
MILESTONE_ROWS = 4


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _input(form: Any, city: str) -> plans.PlanInput:
    milestones = []
    for n in range(MILESTONE_ROWS):
        title = _text(form, f"milestone_{n}_title")
        if title:
            milestones.append(
                plans.MilestoneInput(
                    title,
                    _text(form, f"milestone_{n}_due"),
                    _text(form, f"milestone_{n}_status") or "planned",
                )
            )
    pairing = _text(form, "pairing_id")
    return plans.PlanInput(
        city=city,
        title=_text(form, "title"),
        key_projects=split_lines(_text(form, "key_projects")),
        stakeholders=split_lines(_text(form, "stakeholders")),
        decision_mechanism=_text(form, "decision_mechanism"),
        contact_role=_text(form, "contact_role"),
        contact_name=_text(form, "contact_name"),
        contact_email=_text(form, "contact_email"),
        initiative_keys=[k for k in _text(form, "initiatives").replace(",", " ").split() if k],
        pairing_id=int(pairing) if pairing.isdigit() else None,
        programme=_text(form, "programme"),
        milestones=milestones,
    )


def _values(plan: Any) -> dict[str, str]:
    """The plan as form values, for the update form."""
    prog = plan.programme_id
    values = {
        "title": plan.title,
        "key_projects": "\n".join(plan.key_projects or []),
        "stakeholders": "\n".join(plan.stakeholders or []),
        "decision_mechanism": plan.decision_mechanism,
        "contact_role": plan.contact_role,
        "contact_name": plan.contact_name,
        "contact_email": plan.contact_email,
        "initiatives": " ".join(plan.initiative_keys or []),
        "pairing_id": str(plan.pairing_id or ""),
        "programme_id": str(prog or ""),
    }
    for n, m in enumerate(plan.milestones):
        values[f"milestone_{n}_title"] = m.title
        values[f"milestone_{n}_due"] = m.due.isoformat() if m.due else ""
        values[f"milestone_{n}_status"] = m.status
    return values


def _choices(uow: UoW, principal: Any, lang: str) -> dict[str, Any]:
    session = uow.session
    mine = plans.edited_cities(session, principal)
    every = is_allowed(principal, "knowledge.plan.update")
    cities = [
        (c.key, c.name(lang))
        for c in session.scalars(select(City).order_by(City.name_en))
        if every or c.id in mine
    ]
    programmes = [
        (p.key, p.name_zh if lang == "zh" else p.name_en, p.id)
        for p in session.scalars(select(Programme).order_by(Programme.key))
    ]
    initiatives = list(session.scalars(select(Initiative.key).order_by(Initiative.key)))
    return {
        "cities": cities,
        "programmes": programmes,
        "initiative_keys": initiatives,
        "statuses": plans.MILESTONE_STATUSES,
        "milestone_rows": range(MILESTONE_ROWS),
    }


@router.get("/kb/plans")
def plan_list(page: Page, uow: UoW, principal: OptionalPrincipal) -> Response:
    visible = plans.visible_plans(uow.session, principal)
    can_create = principal is not None and (
        is_allowed(principal, "knowledge.plan.update")
        or bool(plans.edited_cities(uow.session, principal))
    )
    return page.render("knowledge/plans.html", plans=visible, can_create=can_create)


@router.get("/kb/plans/new")
def plan_form(page: Page, uow: UoW, principal: CurrentPrincipal) -> Response:
    return page.render(
        "knowledge/plan_form.html",
        plan=None,
        form={},
        problems=[],
        **_choices(uow, principal, page.lang),
    )


@router.post("/kb/plans")
async def plan_create(
    request: Request, page: Page, uow: UoW, principal: CurrentPrincipal
) -> Response:
    form = await request.form()
    try:
        plan = plans.create_plan(uow, principal, _input(form, _text(form, "city")))
    except InputError as exc:
        uow.rollback()
        return page.render(
            "knowledge/plan_form.html",
            status_code=422,
            plan=None,
            form=dict(form),
            problems=exc.problems,
            **_choices(uow, principal, page.lang),
        )
    return RedirectResponse(f"/kb/plans/{plan.id}", status_code=303)


@router.get("/kb/plans/{plan_id}")
def plan_page(plan_id: int, page: Page, uow: UoW, principal: OptionalPrincipal) -> Response:
    plan = plans.get_plan(uow.session, principal, plan_id)
    can_edit = plans.can_edit_plan(uow.session, principal, plan.city_id)
    return page.render(
        "knowledge/plan.html",
        plan=plan,
        can_edit=can_edit,
        problems=[],
        form=_values(plan),
        **_choices(uow, principal, page.lang),
    )


@router.post("/kb/plans/{plan_id}")
async def plan_update(
    plan_id: int, request: Request, page: Page, uow: UoW, principal: CurrentPrincipal
) -> Response:
    form = await request.form()
    try:
        plans.update_plan(uow, principal, plan_id, _input(form, ""))
    except InputError as exc:
        uow.rollback()
        plan = plans.get_plan(uow.session, principal, plan_id)
        return page.render(
            "knowledge/plan.html",
            status_code=422,
            plan=plan,
            can_edit=True,
            problems=exc.problems,
            form=dict(form),
            **_choices(uow, principal, page.lang),
        )
    return RedirectResponse(f"/kb/plans/{plan_id}", status_code=303)


@router.post("/kb/plans/{plan_id}/milestones/{milestone_id}")
async def milestone_status(
    plan_id: int, milestone_id: int, request: Request, uow: UoW, principal: CurrentPrincipal
) -> Response:
    form = await request.form()
    plans.set_milestone_status(uow, principal, plan_id, milestone_id, _text(form, "status"))
    return RedirectResponse(f"/kb/plans/{plan_id}", status_code=303)
