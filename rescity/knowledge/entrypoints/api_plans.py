"""JSON API for cooperation under /api/kb: pairings, city editors and action plans.

Plans are returned only to their programme's members (services/plans.py decides), so the
key contact never reaches a visitor.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from rescity.core.security.policy import Principal
from rescity.knowledge.adapters.orm import ActionPlan, Programme
from rescity.knowledge.entrypoints.api import _pairing_out
from rescity.knowledge.entrypoints.schemas import (
    ActionPlanIn,
    ActionPlanOut,
    CityEditorIn,
    MilestoneStatusIn,
    PairingIn,
    PairingOut,
)
from rescity.knowledge.services import cooperation, plans
from rescity.web.deps import CurrentPrincipal, OptionalPrincipal, UoW, allow

router = APIRouter(prefix="/api/kb", tags=["knowledge"])


@router.post("/pairings", response_model=PairingOut, status_code=201)
def propose_pairing(
    body: PairingIn,
    uow: UoW,
    principal: CurrentPrincipal,
) -> PairingOut:
    """Propose a pairing on behalf of city A; B must confirm too."""
    pairing = plans.propose_pairing(
        uow, principal, body.city_a, body.city_b, topic=body.topic, programme=body.programme
    )
    return _pairing_out(pairing)


@router.post("/pairings/{pairing_id}/confirm", response_model=PairingOut)
def confirm_pairing(
    pairing_id: int,
    city: Annotated[str, Query(max_length=120)],
    uow: UoW,
    principal: CurrentPrincipal,
) -> PairingOut:
    return _pairing_out(plans.confirm_pairing(uow, principal, pairing_id, city))


def _plan_out(session: Any, plan: ActionPlan) -> ActionPlanOut:
    prog = session.get(Programme, plan.programme_id) if plan.programme_id else None
    return ActionPlanOut(
        id=plan.id,
        city=plan.city.key,
        title=plan.title,
        programme=prog.key if prog else None,
        key_projects=list(plan.key_projects or []),
        stakeholders=list(plan.stakeholders or []),
        decision_mechanism=plan.decision_mechanism,
        contact_role=plan.contact_role,
        contact_name=plan.contact_name,
        contact_email=plan.contact_email,
        initiatives=list(plan.initiative_keys or []),
        pairing_id=plan.pairing_id,
        milestones=[
            {
                "id": m.id,
                "title": m.title,
                "due": m.due.isoformat() if m.due else None,
                "status": m.status,
            }
            for m in plan.milestones
        ],
    )


def _plan_input(city: str, body: ActionPlanIn) -> plans.PlanInput:
    return plans.PlanInput(
        city=city,
        title=body.title,
        key_projects=body.key_projects,
        stakeholders=body.stakeholders,
        decision_mechanism=body.decision_mechanism,
        contact_role=body.contact_role,
        contact_name=body.contact_name,
        contact_email=body.contact_email,
        initiative_keys=body.initiatives,
        pairing_id=body.pairing_id,
        programme=body.programme or "",
        milestones=[plans.MilestoneInput(m.title, m.due, m.status) for m in body.milestones],
    )


@router.post("/cities/{key}/action-plans", response_model=ActionPlanOut, status_code=201)
def create_action_plan(
    key: str, body: ActionPlanIn, uow: UoW, principal: CurrentPrincipal
) -> ActionPlanOut:
    """Create a local action plan (an editor of the city, or a knowledge editor)."""
    plan = plans.create_plan(uow, principal, _plan_input(key, body))
    return _plan_out(uow.session, plan)


@router.get("/cities/{key}/action-plans", response_model=list[ActionPlanOut])
def list_action_plans(key: str, uow: UoW, principal: OptionalPrincipal) -> list[ActionPlanOut]:
    """The city's plans this caller may see (programme members only; none for visitors)."""
    city = cooperation.city_or_404(uow.session, key)
    return [
        _plan_out(uow.session, p)
        for p in plans.visible_plans(uow.session, principal)
        if p.city_id == city.id
    ]


@router.post("/cities/{key}/editors", status_code=204)
def add_city_editor(
    key: str,
    body: CityEditorIn,
    uow: UoW,
    principal: Annotated[Principal, Depends(allow("knowledge.editors.assign"))],
) -> Response:
    """Make a user an editor of the city (a knowledge editor decides)."""
    plans.add_city_editor(uow, principal, key, body.username)
    return Response(status_code=204)


@router.get("/action-plans/{plan_id}", response_model=ActionPlanOut)
def get_action_plan(plan_id: int, uow: UoW, principal: OptionalPrincipal) -> ActionPlanOut:
    return _plan_out(uow.session, plans.get_plan(uow.session, principal, plan_id))


@router.put("/action-plans/{plan_id}", response_model=ActionPlanOut)
def update_action_plan(
    plan_id: int, body: ActionPlanIn, uow: UoW, principal: CurrentPrincipal
) -> ActionPlanOut:
    plan = plans.update_plan(uow, principal, plan_id, _plan_input("", body))
    return _plan_out(uow.session, plan)


@router.post("/action-plans/{plan_id}/milestones/{milestone_id}", response_model=ActionPlanOut)
def set_milestone_status(
    plan_id: int,
    milestone_id: int,
    body: MilestoneStatusIn,
    uow: UoW,
    principal: CurrentPrincipal,
) -> ActionPlanOut:
    plans.set_milestone_status(uow, principal, plan_id, milestone_id, body.status)
    return _plan_out(uow.session, plans.get_plan(uow.session, principal, plan_id))
