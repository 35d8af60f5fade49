"""The alerts API under ``/api/community``: list, read, acknowledge and resolve alerts, and
the per-community rule overrides."""


from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from rescity.community.alerts import services as alerts
from rescity.community.alerts.domain import AlertKind, AlertStatus
from rescity.community.shared.deps import (
    OptionalVersion,
    Rt,
    allow_any,
    etag,
)
from rescity.community.shared.schemas import In
from rescity.core.security.policy import Principal
from rescity.web.deps import CurrentPrincipal, UoW


class AlertPublic(BaseModel):
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


class AlertNote(In):
    note: str = Field(default="", max_length=500)


class RulePublic(BaseModel):
    kind: str
    enabled: bool
    severity: str
    params: dict[str, Any]


router = APIRouter(prefix="/api/community", tags=["community"])
AlertReader = Annotated[Principal, Depends(allow_any("community.alert.read"))]


@router.get("/alerts")
def list_alerts(
    uow: UoW, principal: AlertReader, status: AlertStatus | None = None,
    kind: str | None = None, mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=2000)] = 200,
) -> list[AlertPublic]:
    rows = alerts.list_alerts(uow, principal, status=status, kind=kind, mine=mine, limit=limit)
    return [AlertPublic.model_validate(asdict(a)) for a in rows]


@router.get("/alerts/{alert_id}")
def read_alert(
    alert_id: int, uow: UoW, principal: CurrentPrincipal, response: Response
) -> AlertPublic:
    a = alerts.read_alert(uow, principal, alert_id)
    response.headers["ETag"] = etag(a.version)
    return AlertPublic.model_validate(asdict(a))


def _move(
    target: AlertStatus, alert_id: int, body: AlertNote | None, uow: UoW, rt: Rt,
    principal: Principal, version: int | None, response: Response,
) -> AlertPublic:
    a = alerts.transition(
        uow, rt, principal, alert_id, target, expected_version=version,
        note=body.note if body else "",
    )
    response.headers["ETag"] = etag(a.version)
    return AlertPublic.model_validate(asdict(a))


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(
    alert_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal, version: OptionalVersion,
    response: Response, body: AlertNote | None = None,
) -> AlertPublic:
    return _move(AlertStatus.ACKNOWLEDGED, alert_id, body, uow, rt, principal, version, response)


@router.post("/alerts/{alert_id}/resolve")
def resolve_alert(
    alert_id: int, uow: UoW, rt: Rt, principal: CurrentPrincipal, version: OptionalVersion,
    response: Response, body: AlertNote | None = None,
) -> AlertPublic:
    return _move(AlertStatus.RESOLVED, alert_id, body, uow, rt, principal, version, response)


def _rules(table: dict[AlertKind, Any]) -> list[RulePublic]:
    return [
        RulePublic(kind=k.value, enabled=r.enabled, severity=r.severity.value, params=r.params)
        for k, r in table.items()
    ]


@router.get("/rules/{community}")
def get_rules(community: str, uow: UoW, principal: CurrentPrincipal) -> list[RulePublic]:
    return _rules(alerts.community_rules(uow.session, principal, community))


@router.put("/rules/{community}/{kind}")
def set_rule(
    community: str, kind: AlertKind, values: dict[str, Any], uow: UoW, rt: Rt,
    principal: CurrentPrincipal,
) -> list[RulePublic]:
    """Override one rule's values (thresholds, severity, enabled) for a community."""
    return _rules(alerts.set_rule(uow, rt, principal, community, kind, values))
