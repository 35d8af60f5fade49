"""A work order from an alert (a sensor, a check-in, a gate), once per alert."""

from __future__ import annotations

from sqlalchemy import select

from rescity.community.alerts.adapters import Alert
from rescity.community.cases.adapters import WorkOrder
from rescity.community.cases.domain import Channel
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.cases.services import CaseInput, file_case_in
from rescity.core.errors import NotFound
from rescity.core.security.policy import Principal, Target, is_allowed, require
from rescity.core.storage.uow import UnitOfWork


def case_from_alert(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, alert_id: int, *,
                    service_code: str, description: str = "") -> WorkOrder:
    """Turn an alert (a sensor, a check-in, a gate) into a work order, once per alert."""
    s = uow.session
    alert = s.get(Alert, alert_id)
    if alert is None or not is_allowed(principal, "community.alert.read",
                                       Target(scope=alert.scope)):
        raise NotFound(f"no alert {alert_id}")
    require(principal, "community.case.file_for_others", Target(scope=alert.scope))
    key = f"alert:{alert.id}"
    existing = s.scalar(select(WorkOrder).where(WorkOrder.dedup_key == key))
    if existing is not None:
        return existing
    data = CaseInput(service_code=service_code, dedup_key=key, source_ref=key,
                     description=description or f"{alert.kind} ({alert.source})")
    case = file_case_in(s, rt, data, scope=alert.scope, channel=Channel.ALERT, now=rt.now(),
                        principal=principal)
    uow.commit()
    return case
