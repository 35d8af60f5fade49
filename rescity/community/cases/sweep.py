"""The periodic case sweep (escalation of overdue cases, closing resolved cases nobody
reopened), case lists, history and the monthly scoring table.

``rescity cases sweep`` runs :func:`sweep`; it is idempotent: a second run at the same time
changes nothing, and an alert's de-duplication key names the case, the level and the
reopening, so a run twice never raises two alerts for one escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from rescity.community.alerts.raising import ancestors, nearest_grant, raise_alert
from rescity.community.cases import domain as wo
from rescity.community.cases import scoring as cs
from rescity.community.cases.adapters import CaseEvent, Handler, HandlerMember, WorkOrder
from rescity.community.cases.domain import CaseStatus
from rescity.community.cases.handlers import supervisors
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.cases.services import add_event, get_case, handler_for
from rescity.community.shared import notices
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, PermissionDenied, Problem
from rescity.core.security.policy import Principal, Role, visible_scopes
from rescity.core.storage.uow import UnitOfWork

SEVERITY_BY_LEVEL = {1: "medium", 2: "high"}


@dataclass(frozen=True)
class SweepResult:
    escalated: int
    alerts: int
    closed: int


def level_scope(scope: str, level: int) -> str:
    """Where escalation level ``level`` goes: the case's own place at level 1, then one place
    up per level (grid → community → sub-district), never above the top of the hierarchy.
    The alert is raised there, so it reaches the grid worker nearest that place rather than
    the same grid worker at every level; from level 2 the handler's supervisors are told too
    (:func:`tell_supervisors`)."""
    up = ancestors(scope)
    return up[max(0, len(up) - level)]


def level_recipient(s: Session, case: WorkOrder, scope: str, handler: Handler | None
                    ) -> int | None:
    """Who an escalation level's alert goes to: the grid worker granted nearest the level's
    place; where none is granted that high, a member of the handler serving that place;
    failing both, the grid worker of the case's own place (never nobody when one exists)."""
    found = nearest_grant(s, Role.GRID_WORKER, scope)
    if found is None and handler is not None:
        found = s.scalar(select(HandlerMember.user_id).where(
            HandlerMember.handler_id == handler.id).order_by(HandlerMember.id).limit(1))
    return found if found is not None else nearest_grant(s, Role.GRID_WORKER, case.scope)


def tell_supervisors(s: Session, case: WorkOrder, level: int, now: datetime) -> None:
    """Past the first level an overdue case also reaches the supervisors of the handler it
    is dispatched to (a department's head), once per level, urgently."""
    assert case.handler_id is not None
    notices.tell(s, supervisors(s, case.handler_id), notices.Message(
        kind="case.escalated", key="notice.case_escalated",
        params={"case": case.id, "level": level}, link=f"/community/cases/{case.id}",
        dedupe_key=f"case:{case.id}:r{case.reopen_count}:level:{level}:supervisor",
        urgent=True), now)


def sweep(uow: UnitOfWork, rt: OpsRuntime) -> SweepResult:
    """Escalate every open case past its deadline to the level it is due, and close resolved
    cases whose reopening window has passed."""
    s, now, levels = uow.session, rt.now(), rt.levels
    overdue = s.scalars(
        select(WorkOrder).where(
            WorkOrder.status.in_([st.value for st in wo.OPEN_STATUSES]),
            WorkOrder.deadline_at <= now, WorkOrder.escalation_level < levels.max_escalation,
        ).order_by(WorkOrder.id)
    ).all()
    escalated = alerts = 0
    for case in overdue:
        level = levels.levels[case.level]
        due = wo.due_escalation(level, case.deadline_at, now, max_level=levels.max_escalation)
        if due <= case.escalation_level:
            continue
        escalated += 1
        for n in range(case.escalation_level + 1, due + 1):
            add_event(s, case, "overdue" if n == 1 else "escalated", now,
                      detail={"level": n, "deadline": case.deadline_at.isoformat()})
            scope = level_scope(case.scope, n)
            handler = handler_for(s, levels.case_type(case.service_code).handler, scope)
            alert = raise_alert(
                s, kind=levels.escalation_alert_kind, scope=scope,
                assignee_id=level_recipient(s, case, scope, handler),
                severity=SEVERITY_BY_LEVEL.get(n, "high"), source="work_order",
                source_ref=f"case:{case.id}", subject_type="case", subject_id=case.id,
                dedup_key=f"case:{case.id}:r{case.reopen_count}:level:{n}", now=now,
                detail={"level": n, "service_code": case.service_code,
                        "handler_id": case.handler_id,
                        "level_handler_id": handler.id if handler else None},
            )
            alerts += alert is not None
            if n >= 2 and case.handler_id is not None:
                tell_supervisors(s, case, n, now)
        case.escalation_level = due
        case.updated_at = now
    stale = s.scalars(
        select(WorkOrder).where(
            WorkOrder.status == CaseStatus.RESOLVED.value,
            WorkOrder.resolved_at <= now - levels.reopen_window,
        )
    ).all()
    for case in stale:
        case.status, case.closed_at, case.updated_at = CaseStatus.CLOSED.value, now, now
        add_event(s, case, "closed", now, note="reopening window passed")
    if escalated or stale:
        audit.record(s, None, kind=AuditKind.WRITE, action="community.case.sweep",
                     record_type="case", detail={"escalated": escalated, "closed": len(stale)})
    uow.commit()
    return SweepResult(escalated=escalated, alerts=alerts, closed=len(stale))


def visible(principal: Principal, action: str = "community.case.read") -> ColumnElement[bool]:
    """SQL: cases the principal may see: in a place where reading is granted, or their own."""
    scopes = visible_scopes(principal, action)
    own = WorkOrder.reporter_id == principal.user_id
    if not scopes:
        return own
    return or_(own, *(WorkOrder.scope.startswith(p, autoescape=True) for p in scopes))


@dataclass(frozen=True)
class CaseFilter:
    status: tuple[str, ...] = ()
    service_code: str | None = None
    handler: str | None = None
    overdue: bool = False
    limit: int = 100
    offset: int = 0


def list_cases(session: Session, rt: OpsRuntime, principal: Principal,
               f: CaseFilter) -> list[WorkOrder]:
    stmt = select(WorkOrder).where(visible(principal))
    if f.status:
        bad = [x for x in f.status if x not in set(CaseStatus)]
        if bad:
            raise InputError([Problem("status", f"one of {', '.join(CaseStatus)}")])
        stmt = stmt.where(WorkOrder.status.in_(f.status))
    if f.service_code:
        stmt = stmt.where(WorkOrder.service_code == f.service_code)
    if f.handler:
        stmt = stmt.join(Handler, Handler.id == WorkOrder.handler_id).where(
            Handler.code == f.handler)
    if f.overdue:
        stmt = stmt.where(
            WorkOrder.status.in_([s.value for s in wo.OPEN_STATUSES]),
            WorkOrder.deadline_at < rt.now(),
        )
    stmt = stmt.order_by(WorkOrder.deadline_at, WorkOrder.id).offset(f.offset).limit(f.limit)
    return list(session.scalars(stmt))


def history(session: Session, principal: Principal, case_id: int) -> list[CaseEvent]:
    get_case(session, principal, case_id, "community.case.read")
    return list(session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    ))


def scores(session: Session, rt: OpsRuntime, principal: Principal, month: str
           ) -> list[tuple[Handler, cs.HandlerMonth]]:
    """The month's scoring table for the handlers serving places the principal oversees."""
    try:
        first = datetime.strptime(month, "%Y-%m").replace(tzinfo=rt.zone)
    except ValueError:
        raise InputError([Problem("month", "YYYY-MM")]) from None
    start = first - timedelta(days=1)
    end = first + timedelta(days=33)  # generous bounds; the domain picks the exact month
    scopes = visible_scopes(principal, "community.case.scores")
    if not scopes:
        raise PermissionDenied(f"{principal.username} may not community.case.scores")
    cond = or_(*(Handler.scope.startswith(p, autoescape=True) for p in scopes))
    handlers = {h.id: h for h in session.scalars(select(Handler).where(cond))}
    if not handlers:
        return []
    ids = list(handlers)
    cases = [
        cs.CaseFacts(c.id, c.handler_id, c.status, c.deadline_at, c.resolved_at,
                     c.reopen_count, c.rating)
        for c in session.scalars(select(WorkOrder).where(
            WorkOrder.handler_id.in_(ids), WorkOrder.deadline_at >= start,
            WorkOrder.deadline_at < end))
    ]
    events = [
        cs.EventFacts(e.handler_id, e.at, e.kind, e.detail.get("rating"))
        for e in session.scalars(select(CaseEvent).where(
            CaseEvent.handler_id.in_(ids), CaseEvent.at >= start, CaseEvent.at < end))
    ]
    rows = cs.score_month(cases, events, month=month, now=rt.now(), tz=rt.zone, levels=rt.levels)
    return [(handlers[r.handler_id], r) for r in rows]
