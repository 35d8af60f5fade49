"""Cooperation use cases: pairings and action plans. Matching (services/partners.py) and
recommendations (services/recommendations.py) are re-exported for the entrypoints."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, Problem
from rescity.core.security.policy import Principal, require
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.orm import (
    Action,
    ActionPlan,
    City,
    Initiative,
    Milestone,
    Pairing,
    Programme,
)
from rescity.knowledge.domain.model import Status
from rescity.knowledge.services.catalogue import find_pairing, get_city
from rescity.knowledge.services.partners import assign_programme, features, match_city
from rescity.knowledge.services.recommendations import (
    Recommendation,
    attach_assessment,
    attach_summary,
    recommend,
)

__all__ = [
    "Recommendation",
    "assign_programme",
    "attach_assessment",
    "attach_summary",
    "features",
    "match_city",
    "recommend",
]


def city_or_404(session: Session, key: str) -> City:
    city = get_city(session, key)
    if city is None:
        raise NotFound(f"no city '{key}'")
    return city


def propose_pairing(
    uow: UnitOfWork,
    principal: Principal,
    a_key: str,
    b_key: str,
    *,
    topic: str = "",
    programme: str | None = None,
) -> Pairing:
    """Propose a pairing on behalf of city A; it counts only when B confirms too."""
    require(principal, "knowledge.pairing.create")
    session = uow.session
    a, b = city_or_404(session, a_key), city_or_404(session, b_key)
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
    """One side confirms; the pairing is confirmed when both sides have."""
    require(principal, "knowledge.pairing.confirm")
    session = uow.session
    pairing = session.get(Pairing, pairing_id)
    if pairing is None:
        raise NotFound(f"no pairing {pairing_id}")
    if city_key == pairing.city_a.key:
        pairing.confirmed_a = True
    elif city_key == pairing.city_b.key:
        pairing.confirmed_b = True
    else:
        raise InputError([Problem("city", f"{city_key} is not part of pairing {pairing_id}")])
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


@dataclass
class ActionInput:
    title: str
    owner: str = ""
    quarter: str = ""
    status: str = "planned"
    initiative_keys: tuple[str, ...] = ()


def create_action_plan(
    uow: UnitOfWork,
    principal: Principal,
    city_key: str,
    title: str,
    *,
    contact_role: str,
    contact_name: str = "",
    actions: tuple[ActionInput, ...] = (),
    milestones: tuple[tuple[str, str], ...] = (),
    programme: str | None = None,
) -> ActionPlan:
    """A local action plan with actions (owner, quarter, linked initiatives) and milestones."""
    require(principal, "knowledge.plan.create")
    problems: list[Problem] = []
    if not title.strip():
        problems.append(Problem("title", "must not be empty"))
    if not contact_role.strip():
        problems.append(Problem("contact_role", "name the key contact's role"))
    session = uow.session
    for n, action in enumerate(actions):
        if action.quarter and not _quarter_ok(action.quarter):
            problems.append(Problem(f"actions[{n}].quarter", "like 2025Q3"))
        for key in action.initiative_keys:
            if session.scalar(select(Initiative.id).where(Initiative.key == key)) is None:
                problems.append(Problem(f"actions[{n}].initiatives", f"no initiative {key!r}"))
    for n, (_, quarter) in enumerate(milestones):
        if quarter and not _quarter_ok(quarter):
            problems.append(Problem(f"milestones[{n}].quarter", "like 2025Q3"))
    if problems:
        raise InputError(problems, source="action plan")
    city = city_or_404(session, city_key)
    prog = (
        session.scalar(select(Programme).where(Programme.key == programme)) if programme else None
    )
    plan = ActionPlan(
        city_id=city.id,
        programme_id=prog.id if prog else None,
        title=title,
        contact_role=contact_role,
        contact_name=contact_name,
    )
    plan.actions = [
        Action(
            title=a.title,
            owner=a.owner,
            quarter=a.quarter,
            status=a.status,
            initiative_keys=list(a.initiative_keys),
        )
        for a in actions
    ]
    plan.milestones = [Milestone(title=t, quarter=q) for t, q in milestones]
    session.add(plan)
    session.flush()
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.plan.create",
        record_type="action_plan",
        record_id=plan.id,
        detail={"city": city_key},
    )
    uow.commit()
    return plan


def _quarter_ok(text: str) -> bool:
    return len(text) == 6 and text[:4].isdigit() and text[4] == "Q" and text[5] in "1234"


def tag_counts(session: Session, city: City) -> Counter[str]:
    counts: Counter[str] = Counter()
    for item in session.scalars(
        select(Initiative).where(
            Initiative.city_id == city.id, Initiative.status == str(Status.PUBLISHED)
        )
    ):
        counts.update(item.tag_codes)
    return counts
