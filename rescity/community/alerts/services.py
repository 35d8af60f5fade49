"""Alerts: raise (from any source), route to the grid worker, list, and move through the
lifecycle new → acknowledged → resolved with who and when.

:func:`raise_alert` is the one entry point for every producer: check-ins and gates here,
sensor events over MQTT and overdue work orders in part II. It takes a de-duplication key so
that a rule firing twice (a retried sensor message, the sweep run twice) makes one alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rescity.community.alerts import rules as rule_table
from rescity.community.alerts.adapters import (
    Alert,
    AlertRule,
    alert_by_dedup_key,
    grants_above,
    insert_alert,
    rules_above,
)
from rescity.community.alerts.domain import AlertKind, AlertStatus, Severity, can_move
from rescity.community.shared import notices
from rescity.community.shared.adapters import Resident
from rescity.community.shared.errors import BadTransition, StaleVersion
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.scoping import scope_filter
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.places import PlaceLevel, get_place
from rescity.core.security import token_cache
from rescity.core.security.policy import Principal, Role, Target, is_allowed, require
from rescity.core.storage.flows import Flow, run_flow
from rescity.core.storage.uow import UnitOfWork

# Writes to alert rules empty the runtime's rules cache (see rules_in_force).
token_cache.watch(AlertRule)


def ancestors(scope: str) -> list[str]:
    """``/1/2/3/`` → ``["/1/", "/1/2/", "/1/2/3/"]``."""
    parts = [p for p in scope.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def rules_in_force(rt: Runtime, scope: str) -> Flow[dict[AlertKind, rule_table.Rule]]:
    """:func:`rules_for`, remembered per scope in the runtime's short cache (hot paths:
    check-ins and gate scans). Writes to alert rules in this process empty it."""
    cache = rt.rules_cache
    if cache is None or not cache.enabled:
        return (yield from _rules(scope))
    found: dict[AlertKind, rule_table.Rule] | None = cache.get(scope, rt.now())
    if found is None:
        found = yield from _rules(scope)
        cache.put(scope, found, None)
    return dict(found)


def _rules(scope: str) -> Flow[dict[AlertKind, rule_table.Rule]]:
    rows = yield from rules_above(scope)
    overrides: dict[AlertKind, dict[str, Any]] = {}
    for _scope, kind, values in sorted(rows, key=lambda r: len(r[0])):
        overrides.setdefault(AlertKind(kind), {}).update(values)
    return rule_table.merged(overrides)


def rules_for(session: Session, scope: str) -> dict[AlertKind, rule_table.Rule]:
    """The rules in force at ``scope``: defaults, overridden by each enclosing place's rows."""
    return run_flow(session, _rules(scope))


def _assignee(scope: str) -> Flow[int | None]:
    """The grid worker responsible: granted on the alert's grid, else the nearest above."""
    grants = yield from grants_above(Role.GRID_WORKER.value, scope)
    if not grants:
        return None
    user_id, _scope, _id = max(grants, key=lambda g: (len(g[1]), -g[2]))
    return user_id


def alert_raised(
    *, kind: str, scope: str, severity: Severity, source: str, now: datetime,
    source_ref: str = "", subject_type: str = "", subject_id: int | None = None,
    dedup_key: str | None = None, detail: dict[str, Any] | None = None,
) -> Flow[int]:
    """Add an alert (or find the open one with the same ``dedup_key``); its id. Never
    commits. ``detail`` must not hold personal data: name the subject by type and id only.
    """
    if dedup_key is not None:
        found = yield from alert_by_dedup_key(dedup_key)
        if found is not None:
            return found
    # Two requests raising the same key at once: the second one's insert conflicts on the
    # unique dedup_key and the caller's request is retried (idempotency makes that safe).
    assignee = yield from _assignee(scope)
    alert_id = yield from insert_alert({
        "scope": scope, "kind": kind, "severity": severity.value,
        "status": AlertStatus.NEW.value, "source": source, "source_ref": source_ref,
        "subject_type": subject_type, "subject_id": subject_id, "dedup_key": dedup_key,
        "detail": detail or {}, "assignee_id": assignee,
        "created_at": now, "acknowledged_at": None, "acknowledged_by": None,
        "resolved_at": None, "resolved_by": None, "resolution": "", "version": 1,
    })
    yield from audit.appended(
        None, kind=AuditKind.WRITE, action="community.alert.raise", record_type="alert",
        record_id=alert_id, scope=scope, detail={"kind": kind, "source": source},
    )
    yield from notices.alert_raised(alert_id, kind, severity.value, assignee, now)
    return alert_id


def raise_alert(
    session: Session, *, kind: str, scope: str, severity: Severity, source: str, now: datetime,
    source_ref: str = "", subject_type: str = "", subject_id: int | None = None,
    dedup_key: str | None = None, detail: dict[str, Any] | None = None,
) -> Alert:
    """:func:`alert_raised` on a session: the new (or open) alert."""
    alert_id = run_flow(session, alert_raised(
        kind=kind, scope=scope, severity=severity, source=source, now=now,
        source_ref=source_ref, subject_type=subject_type, subject_id=subject_id,
        dedup_key=dedup_key, detail=detail,
    ))
    alert = session.get(Alert, alert_id)
    assert alert is not None
    return alert


@dataclass(frozen=True)
class AlertView:
    id: int
    kind: str
    severity: str
    status: str
    scope: str
    source: str
    source_ref: str
    subject_type: str
    subject_id: int | None
    subject_name: str | None
    detail: dict[str, Any]
    assignee_id: int | None
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: int | None
    resolved_at: datetime | None
    resolved_by: int | None
    resolution: str
    version: int


def _view(alert: Alert, name: str | None) -> AlertView:
    return AlertView(
        id=alert.id, kind=alert.kind, severity=alert.severity, status=alert.status,
        scope=alert.scope, source=alert.source, source_ref=alert.source_ref,
        subject_type=alert.subject_type, subject_id=alert.subject_id, subject_name=name,
        detail=alert.detail, assignee_id=alert.assignee_id, created_at=alert.created_at,
        acknowledged_at=alert.acknowledged_at, acknowledged_by=alert.acknowledged_by,
        resolved_at=alert.resolved_at, resolved_by=alert.resolved_by,
        resolution=alert.resolution, version=alert.version,
    )


def _may_name(principal: Principal, scope: str) -> bool:
    target = Target(scope=scope)
    return is_allowed(principal, "community.resident.read", target) or is_allowed(
        principal, "community.health.read", target
    )


def list_alerts(
    uow: UnitOfWork, principal: Principal, *, status: AlertStatus | None = None,
    kind: str | None = None, mine: bool = False, limit: int = 200,
) -> list[AlertView]:
    session = uow.session
    stmt = select(Alert).where(scope_filter(Alert.scope, principal, "community.alert.read"))
    if status is not None:
        stmt = stmt.where(Alert.status == status.value)
    if kind:
        stmt = stmt.where(Alert.kind == kind)
    if mine:
        stmt = stmt.where(Alert.assignee_id == principal.user_id)
    alerts = list(session.scalars(stmt.order_by(Alert.id.desc()).limit(min(limit, 2000))))
    named = [
        a.subject_id for a in alerts
        if a.subject_type == "resident" and a.subject_id and _may_name(principal, a.scope)
    ]
    names: dict[int, str] = {}
    if named:
        rows = session.execute(select(Resident.id, Resident.name).where(Resident.id.in_(named)))
        names = {rid: name for rid, name in rows}
    if names:
        audit.record(
            session, principal, kind=AuditKind.READ, action="community.alert.list",
            record_type="resident", record_id=f"{len(names)} names",
            purpose="alert follow-up", detail={"ids": sorted(names)[:1000]},
        )
        uow.commit()
    # Only a resident subject has a name: a case's id may equal some resident's id.
    return [_view(a, names.get(a.subject_id)
                  if a.subject_id and a.subject_type == "resident" else None) for a in alerts]


def get_alert(session: Session, principal: Principal, alert_id: int, action: str) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    require(principal, action, Target(scope=alert.scope))
    return alert


def read_alert(uow: UnitOfWork, principal: Principal, alert_id: int) -> AlertView:
    alert = get_alert(uow.session, principal, alert_id, "community.alert.read")
    name = None
    if alert.subject_type == "resident" and alert.subject_id and _may_name(principal, alert.scope):
        resident = uow.session.get(Resident, alert.subject_id)
        name = resident.name if resident else None
        audit.record(
            uow.session, principal, kind=AuditKind.READ, action="community.alert.read",
            record_type="resident", record_id=alert.subject_id, scope=alert.scope,
            purpose="alert follow-up",
        )
        uow.commit()
    return _view(alert, name)


def transition(
    uow: UnitOfWork, rt: Runtime, principal: Principal, alert_id: int, target: AlertStatus, *,
    expected_version: int | None = None, note: str = "",
) -> AlertView:
    """Acknowledge or resolve; 409 for a move the lifecycle forbids, 412 for a stale ETag."""
    session = uow.session
    alert = get_alert(session, principal, alert_id, "community.alert.update")
    if expected_version is not None and alert.version != expected_version:
        raise StaleVersion(f"alert {alert_id}", alert.version)
    current = AlertStatus(alert.status)
    if not can_move(current, target):
        raise BadTransition(f"alert {alert_id} is {current}; it cannot become {target}")
    now = rt.now()
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, principal.user_id
    if target is AlertStatus.RESOLVED:
        alert.resolved_at, alert.resolved_by = now, principal.user_id
        alert.resolution = note[:500]
    alert.status = target.value
    audit.record(
        session, principal, kind=AuditKind.WRITE, action=f"community.alert.{target.value}",
        record_type="alert", record_id=alert.id, scope=alert.scope,
    )
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleVersion(f"alert {alert_id}", -1) from None
    uow.commit()
    return _view(alert, None)


def community_rules(
    session: Session, principal: Principal, community_code: str
) -> dict[AlertKind, rule_table.Rule]:
    place = get_place(session, community_code)
    require(principal, "community.alert.read", Target(scope=place.path))
    return rules_for(session, place.path)


def set_rule(
    uow: UnitOfWork, rt: Runtime, principal: Principal, community_code: str, kind: AlertKind,
    values: dict[str, Any],
) -> dict[AlertKind, rule_table.Rule]:
    """Override a rule's values for one community (thresholds are data, per community)."""
    session = uow.session
    place = get_place(session, community_code)
    if place.level != PlaceLevel.COMMUNITY:
        raise InputError([Problem("community", f"'{community_code}' is not a community")])
    require(principal, "community.rule.update", Target(scope=place.path))
    clean = rule_table.validate(kind, values, where=kind.value)
    row = session.scalar(
        select(AlertRule).where(AlertRule.place_id == place.id, AlertRule.kind == kind.value)
    )
    if row is None:
        row = AlertRule(place_id=place.id, scope=place.path, kind=kind.value, values={})
        session.add(row)
    row.values = {**row.values, **clean}
    row.updated_by, row.updated_at = principal.user_id, rt.now()
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.rule.update",
        record_type="alert_rule", record_id=kind.value, scope=place.path, detail=clean,
    )
    uow.commit()
    return rules_for(session, place.path)


def open_counts(session: Session, scope: str) -> dict[str, int]:
    """Open (not resolved) alerts by kind under ``scope``: for the dashboard."""
    rows = session.execute(
        select(Alert.kind, func.count())
        .where(
            Alert.scope.startswith(scope, autoescape=True),
            Alert.status != AlertStatus.RESOLVED.value,
        )
        .group_by(Alert.kind)
    )
    return {kind: int(n) for kind, n in rows}
