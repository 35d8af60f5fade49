"""City editors, pairings between two cities' editors, and local action plans.

A city editor speaks for one city (``kb_city_editor``): only an editor of city A can propose
a pairing on A's behalf, only an editor of B can confirm B's side, and one person never
confirms both sides. A local action plan follows the IUC template (key projects,
stakeholders, decision mechanism, key contact, roadmap milestones); it is visible to the
members of its programme (editors of partner cities) and to knowledge editors, never to
anyone else, and its contact never leaves that circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core import audit
from rescity.core.accounts import User
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, PermissionDenied, Problem
from rescity.core.security.policy import Principal, is_allowed, require
from rescity.core.storage.db import utcnow
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.orm import (
    ActionPlan,
    City,
    CityEditor,
    Initiative,
    Milestone,
    Pairing,
    Partner,
    Programme,
)
from rescity.knowledge.services.catalogue import find_pairing, get_city

MILESTONE_STATUSES = ("planned", "in_progress", "done", "dropped")


def _city(session: Session, key: str) -> City:
    city = get_city(session, key)
    if city is None:
        raise NotFound(f"no city '{key}'")
    return city


def edited_cities(session: Session, principal: Principal | None) -> set[int]:
    """Ids of the cities this principal edits."""
    if principal is None:
        return set()
    rows = session.scalars(
        select(CityEditor.city_id).where(CityEditor.user_id == principal.user_id)
    )
    return set(rows)


def add_city_editor(
    uow: UnitOfWork, principal: Principal | None, city_key: str, username: str
) -> None:
    """Let a user speak for a city (a knowledge editor decides; None: the operator's CLI)."""
    if principal is not None:
        require(principal, "knowledge.editors.assign")
    session = uow.session
    city = _city(session, city_key)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user '{username}'")
    exists = session.scalar(
        select(CityEditor).where(CityEditor.city_id == city.id, CityEditor.user_id == user.id)
    )
    if exists is None:
        session.add(CityEditor(city_id=city.id, user_id=user.id))
        session.flush()
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.editors.assign",
        record_type="city",
        record_id=city.key,
        detail={"editor": username},
    )
    uow.commit()


def _must_edit(session: Session, principal: Principal, city: City) -> None:
    if city.id not in edited_cities(session, principal):
        raise PermissionDenied(f"{principal.username} does not edit {city.key}")


def propose_pairing(
    uow: UnitOfWork,
    principal: Principal,
    a_key: str,
    b_key: str,
    *,
    topic: str = "",
    programme: str | None = None,
) -> Pairing:
    """An editor of city A proposes a pairing with B; it counts only when B's editor confirms.

    The authorization is record-level: being an editor of the city (``kb_city_editor``),
    granted by a knowledge editor; a role alone does not speak for a city.
    """
    if a_key == b_key:
        raise InputError([Problem("city_b", "a city cannot be paired with itself")])
    session = uow.session
    a, b = _city(session, a_key), _city(session, b_key)
    _must_edit(session, principal, a)
    if find_pairing(session, a.id, b.id) is not None:
        raise Conflict(f"{a_key} and {b_key} are already paired or proposed")
    prog = (
        session.scalar(select(Programme).where(Programme.key == programme)) if programme else None
    )
    pairing = Pairing(
        programme_id=prog.id if prog else None,
        city_a_id=a.id,
        city_b_id=b.id,
        topic=topic,
        confirmed_a=True,
        confirmed_a_by=principal.user_id,
        confirmed_b=False,
        source="app",
    )
    session.add(pairing)
    session.flush()
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.pairing.create",
        record_type="pairing",
        record_id=pairing.id,
        detail={"a": a_key, "b": b_key},
    )
    uow.commit()
    return pairing


def confirm_pairing(
    uow: UnitOfWork, principal: Principal, pairing_id: int, city_key: str
) -> Pairing:
    """An editor of one side confirms it; confirmed when both sides' (different) editors have."""
    session = uow.session
    pairing = session.get(Pairing, pairing_id)
    if pairing is None:
        raise NotFound(f"no pairing {pairing_id}")
    if city_key == pairing.city_a.key:
        side, other_by = "a", pairing.confirmed_b_by
    elif city_key == pairing.city_b.key:
        side, other_by = "b", pairing.confirmed_a_by
    else:
        raise InputError([Problem("city", f"{city_key} is not part of pairing {pairing_id}")])
    _must_edit(session, principal, _city(session, city_key))
    if other_by == principal.user_id:
        raise Conflict(
            "the other side was confirmed by the same person: each city confirms "
            "through its own editor"
        )
    setattr(pairing, f"confirmed_{side}", True)
    setattr(pairing, f"confirmed_{side}_by", principal.user_id)
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.pairing.confirm",
        record_type="pairing",
        record_id=pairing.id,
        detail={"side": city_key},
    )
    uow.commit()
    return pairing


# --- action plans -------------------------------------------------------------------------


@dataclass
class MilestoneInput:
    title: str
    due: str = ""  # ISO date
    status: str = "planned"


@dataclass
class PlanInput:
    """The IUC local action plan template."""

    city: str
    title: str
    key_projects: list[str] = field(default_factory=list)
    stakeholders: list[str] = field(default_factory=list)
    decision_mechanism: str = ""
    contact_role: str = ""
    contact_name: str = ""
    contact_email: str = ""
    initiative_keys: list[str] = field(default_factory=list)
    pairing_id: int | None = None
    programme: str = ""
    milestones: list[MilestoneInput] = field(default_factory=list)


def can_edit_plan(session: Session, principal: Principal | None, city_id: int) -> bool:
    if principal is None:
        return False
    return is_allowed(principal, "knowledge.plan.update") or city_id in edited_cities(
        session, principal
    )


def can_view_plan(session: Session, principal: Principal | None, plan: ActionPlan) -> bool:
    """Members of the plan's programme (editors of its partner cities), its city's editors
    and knowledge editors; nobody else, never anonymous visitors."""
    if principal is None:
        return False
    if is_allowed(principal, "knowledge.plan.read"):
        return True
    mine = edited_cities(session, principal)
    if plan.city_id in mine:
        return True
    if plan.programme_id is None:
        return False
    members = set(
        session.scalars(select(Partner.city_id).where(Partner.programme_id == plan.programme_id))
    )
    return bool(mine & members)


def visible_plans(session: Session, principal: Principal | None) -> list[ActionPlan]:
    plans = session.scalars(select(ActionPlan).order_by(ActionPlan.id))
    return [p for p in plans if can_view_plan(session, principal, p)]


def get_plan(session: Session, principal: Principal | None, plan_id: int) -> ActionPlan:
    plan = session.get(ActionPlan, plan_id)
    if plan is None:
        raise NotFound(f"no action plan {plan_id}")
    if not can_view_plan(session, principal, plan):
        raise PermissionDenied("this action plan is visible to its programme's members only")
    return plan


def _check(session: Session, data: PlanInput) -> tuple[City | None, list[Problem]]:
    problems: list[Problem] = []
    city = get_city(session, data.city) if data.city else None
    if city is None:
        problems.append(Problem("city", f"no city {data.city!r}"))
    if not data.title.strip():
        problems.append(Problem("title", "must not be empty"))
    if not data.contact_role.strip():
        problems.append(Problem("contact_role", "name the key contact's role"))
    if data.contact_email and "@" not in data.contact_email:
        problems.append(Problem("contact_email", "an e-mail address"))
    for key in data.initiative_keys:
        if session.scalar(select(Initiative.id).where(Initiative.key == key)) is None:
            problems.append(Problem("initiatives", f"no initiative {key!r}"))
    if (
        data.programme
        and session.scalar(select(Programme.id).where(Programme.key == data.programme)) is None
    ):
        problems.append(Problem("programme", f"no programme {data.programme!r}"))
    if data.pairing_id is not None:
        pairing = session.get(Pairing, data.pairing_id)
        if pairing is None or (
            city is not None and city.id not in (pairing.city_a_id, pairing.city_b_id)
        ):
            problems.append(Problem("pairing", "no pairing of this city with that id"))
    for n, m in enumerate(data.milestones):
        if not m.title.strip():
            problems.append(Problem(f"milestones[{n}].title", "must not be empty"))
        if m.status not in MILESTONE_STATUSES:
            problems.append(Problem(f"milestones[{n}].status", ", ".join(MILESTONE_STATUSES)))
        if m.due:
            try:
                date.fromisoformat(m.due)
            except ValueError:
                problems.append(Problem(f"milestones[{n}].due", "a date like 2025-06-30"))
    return city, problems


def _apply(session: Session, plan: ActionPlan, data: PlanInput) -> None:
    prog = (
        session.scalar(select(Programme).where(Programme.key == data.programme))
        if data.programme
        else None
    )
    plan.programme_id = prog.id if prog else None
    plan.title = data.title.strip()
    plan.key_projects = [p.strip() for p in data.key_projects if p.strip()]
    plan.stakeholders = [p.strip() for p in data.stakeholders if p.strip()]
    plan.decision_mechanism = data.decision_mechanism.strip()
    plan.contact_role = data.contact_role.strip()
    plan.contact_name = data.contact_name.strip()
    plan.contact_email = data.contact_email.strip()
    plan.initiative_keys = list(data.initiative_keys)
    plan.pairing_id = data.pairing_id
    plan.updated_at = utcnow()


def _milestones(data: PlanInput) -> list[Milestone]:
    return [
        Milestone(
            title=m.title.strip(),
            due=date.fromisoformat(m.due) if m.due else None,
            status=m.status,
            done=m.status == "done",
        )
        for m in data.milestones
    ]


def create_plan(uow: UnitOfWork, principal: Principal, data: PlanInput) -> ActionPlan:
    """Create a plan from the template (an editor of the city, or a knowledge editor)."""
    session = uow.session
    city, problems = _check(session, data)
    if problems or city is None:
        raise InputError(problems, source="action plan")
    if not can_edit_plan(session, principal, city.id):
        raise PermissionDenied(f"{principal.username} may not write {city.key}'s action plans")
    plan = ActionPlan(city_id=city.id, title=data.title)
    _apply(session, plan, data)
    plan.milestones = _milestones(data)
    session.add(plan)
    session.flush()
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.plan.create",
        record_type="action_plan",
        record_id=plan.id,
        detail={"city": city.key},
    )
    uow.commit()
    return plan


def update_plan(uow: UnitOfWork, principal: Principal, plan_id: int, data: PlanInput) -> ActionPlan:
    """Replace the plan's content; milestones are matched by position and keep their ids."""
    session = uow.session
    plan = get_plan(session, principal, plan_id)
    if not can_edit_plan(session, principal, plan.city_id):
        raise PermissionDenied(f"{principal.username} may not update this plan")
    data.city = plan.city.key
    _, problems = _check(session, data)
    if problems:
        raise InputError(problems, source="action plan")
    _apply(session, plan, data)
    fresh = _milestones(data)
    kept = plan.milestones[: len(fresh)]
    for old, new in zip(kept, fresh, strict=False):
        old.title, old.due, old.status, old.done = new.title, new.due, new.status, new.done
    plan.milestones = kept + fresh[len(kept) :]
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.plan.update",
        record_type="action_plan",
        record_id=plan.id,
        detail={"milestones": len(fresh)},
    )
    uow.commit()
    return plan


def set_milestone_status(
    uow: UnitOfWork, principal: Principal, plan_id: int, milestone_id: int, status: str
) -> Milestone:
    session = uow.session
    plan = get_plan(session, principal, plan_id)
    if not can_edit_plan(session, principal, plan.city_id):
        raise PermissionDenied(f"{principal.username} may not update this plan")
    if status not in MILESTONE_STATUSES:
        raise InputError([Problem("status", ", ".join(MILESTONE_STATUSES))])
    milestone = next((m for m in plan.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise NotFound(f"no milestone {milestone_id} in plan {plan_id}")
    milestone.status = status
    milestone.done = status == "done"
    plan.updated_at = utcnow()
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.plan.update",
        record_type="action_plan",
        record_id=plan.id,
        detail={"milestone": milestone_id, "status": status},
    )
    uow.commit()
    return milestone
