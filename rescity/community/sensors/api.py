"""Sensor devices and the HTTP fallback for events under ``/api/community/sensors``.

Devices that cannot speak MQTT POST their events with their own token in ``X-Device-Token``
(not a user's bearer token: a device is no person and has no role). The events go through
the same :func:`~rescity.community.sensors.services.ingest` as MQTT messages.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, status
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from rescity.community.cases.deps import Runtime
from rescity.community.sensors import services as sensors
from rescity.community.sensors.adapters import Device, SensorReject
from rescity.community.sensors.domain import sensor_rules
from rescity.core.errors import AuthenticationRequired, InputError, Problem
from rescity.core.places import get_place
from rescity.core.security.policy import Principal, visible_scopes
from rescity.web.deps import CurrentPrincipal, UoW, allow

router = APIRouter(prefix="/api/community/sensors", tags=["community: sensors"])
MAX_EVENTS = 500


class DeviceCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    kind: str = Field(max_length=30)
    place: str = Field(max_length=64)
    label: str = Field(default="", max_length=200)
    resident_id: int | None = None


class DeviceCreated(BaseModel):
    code: str
    token: str = Field(description="shown once: configure it in the device")


class DevicePublic(BaseModel):
    code: str
    kind: str
    label: str
    scope: str
    active: bool
    last_seq: int
    last_at: datetime | None


@router.post("/devices", status_code=status.HTTP_201_CREATED)
def create_device(body: DeviceCreate, uow: UoW, principal: CurrentPrincipal) -> DeviceCreated:
    place = get_place(uow.session, body.place)
    token = sensors.register_device(uow, principal, code=body.code, kind=body.kind, place=place,
                                    rules=sensor_rules(), label=body.label,
                                    resident_id=body.resident_id)
    return DeviceCreated(code=body.code, token=token)


@router.get("/devices")
def list_devices(uow: UoW, principal: CurrentPrincipal) -> list[DevicePublic]:
    scopes = visible_scopes(principal, "community.sensor.read")
    if not scopes:
        return []
    rows = uow.session.scalars(select(Device).where(
        or_(*(Device.scope.startswith(s, autoescape=True) for s in scopes))
    ).order_by(Device.code).limit(1000))
    return [DevicePublic(code=d.code, kind=d.kind, label=d.label, scope=d.scope,
                         active=d.active, last_seq=d.last_seq, last_at=d.last_at) for d in rows]


class IngestPublic(BaseModel):
    accepted: int
    rejected: dict[str, int]
    results: list[str]
    alerts: int
    cases: int


@router.post("/events")
def post_events(
    uow: UoW, rt: Runtime,
    body: Annotated[dict[str, Any] | list[dict[str, Any]], Body()],
    x_device_token: Annotated[str, Header()] = "",
) -> IngestPublic:
    """One event object, a list of them, or ``{"events": [...]}``; at most 500."""
    device = sensors.device_for_token(uow.session, x_device_token) if x_device_token else None
    if device is None:
        raise AuthenticationRequired("send the device's token in X-Device-Token")
    events: Any = body.get("events", [body]) if isinstance(body, dict) else body
    if not isinstance(events, list) or not 0 < len(events) <= MAX_EVENTS:
        raise InputError([Problem("events", f"1 to {MAX_EVENTS} events")])
    now = rt.now()
    batch = [sensors.Incoming(e if isinstance(e, dict) else {}, now, device.code)
             for e in events]
    result = sensors.ingest(uow, rt, sensor_rules(), batch)
    return IngestPublic(accepted=result.accepted, rejected=dict(result.rejected),
                        results=result.outcomes, alerts=result.alerts, cases=result.cases)


@router.get("/rejects")
def rejects(uow: UoW, _: Annotated[Principal, Depends(allow("community.sensor.read"))],
            day: date | None = None) -> dict[str, int]:
    """How many messages were rejected per reason (a day, or all days)."""
    stmt = select(SensorReject)
    if day is not None:
        stmt = stmt.where(SensorReject.day == day)
    out: dict[str, int] = {}
    for r in uow.session.scalars(stmt):
        out[r.reason] = out.get(r.reason, 0) + r.count
    return out
