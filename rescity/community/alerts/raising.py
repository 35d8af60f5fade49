"""Raising alerts from part II (overdue cases, sensor rules, unmatched help requests).

Alerts are :class:`~rescity.community.alerts.adapters.Alert` rows. This helper follows
the same conventions as part I's ``raise_alert``: a de-duplication key makes a rule that fires
twice (a redelivered sensor message, the sweep run twice) produce one alert, the detail never
holds personal data, and the alert is routed to the grid worker of the nearest place.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.alerts.adapters import Alert
from rescity.community.shared import notices
from rescity.core.accounts import RoleGrant
from rescity.core.security.policy import Role
from rescity.core.storage.flows import run_flow


def ancestors(scope: str) -> list[str]:
    """``/1/2/3/`` → ``["/1/", "/1/2/", "/1/2/3/"]``."""
    parts = [p for p in scope.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def nearest_grant(session: Session, role: Role, scope: str) -> int | None:
    """The user holding ``role`` on the deepest place containing ``scope``."""
    grants = session.scalars(
        select(RoleGrant).where(RoleGrant.role == role.value, RoleGrant.scope.in_(ancestors(scope)))
    ).all()
    if not grants:
        return None
    return max(grants, key=lambda g: (len(g.scope), -g.id)).user_id


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    wanted = list(set(keys))
    if not wanted:
        return set()
    found = session.scalars(select(Alert.dedup_key).where(Alert.dedup_key.in_(wanted))).all()
    return {k for k in found if k is not None}


def raise_alert(
    session: Session,
    *,
    kind: str,
    scope: str,
    severity: str,
    source: str,
    now: datetime,
    source_ref: str = "",
    subject_type: str = "",
    subject_id: int | None = None,
    dedup_key: str | None = None,
    detail: dict[str, Any] | None = None,
    assignee_id: int | None = None,
    check_existing: bool = True,
) -> Alert | None:
    """Add an alert; ``None`` when one with the same ``dedup_key`` exists. Never commits.

    ``check_existing=False`` is for callers that already checked a whole batch of keys with
    :func:`existing_keys` (the sensor consumer), to save one query per alert.
    """
    if check_existing and dedup_key is not None and existing_keys(session, [dedup_key]):
        return None
    alert = Alert(
        scope=scope, kind=kind, severity=severity, status="new", source=source,
        source_ref=source_ref, subject_type=subject_type, subject_id=subject_id,
        dedup_key=dedup_key, detail=detail or {},
        assignee_id=assignee_id if assignee_id is not None
        else nearest_grant(session, Role.GRID_WORKER, scope),
        created_at=now,
    )
    session.add(alert)
    session.flush()
    run_flow(session, notices.alert_raised(alert.id, kind, severity, alert.assignee_id, now))
    return alert
