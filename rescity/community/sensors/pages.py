"""The sensor list for staff: each device, where it is, what it watches and when it last
reported; alerts raised by a sensor link here (``#device-<code>``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import select

from rescity.community.sensors.adapters import Device
from rescity.community.shared.scoping import scope_filter
from rescity.core.places import Place
from rescity.core.security.policy import Principal
from rescity.web.deps import UoW, allow
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


@router.get("/community/sensors")
def sensors_page(
    page: Page, uow: UoW,
    principal: Annotated[Principal, Depends(allow("community.sensor.read"))],
) -> Response:
    rows = uow.session.execute(
        select(Device, Place).join(Place, Place.id == Device.place_id)
        .where(scope_filter(Device.scope, principal, "community.sensor.read"))
        .order_by(Device.code).limit(1000)
    ).all()
    # A device names its resident by id only: the name is on the resident's page, where the
    # read is checked and audited.
    devices = [{"device": d, "place": p.name(page.lang)} for d, p in rows]
    return page.render("community/sensors.html", devices=devices)
