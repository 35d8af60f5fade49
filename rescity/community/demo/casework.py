"""Demo data of community part II for ``rescity demo``: handlers, a few cases (one overdue and
escalated), sensor devices and a help request. Idempotent: a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from rescity.community.cases import services as work_orders
from rescity.community.cases import sweep as case_sweep
from rescity.community.cases.adapters import Handler, WorkOrder
from rescity.community.cases.domain import Channel, HandlerKind
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help import services as help_requests
from rescity.community.help.domain import help_rules
from rescity.community.sensors import services as sensors
from rescity.community.sensors.adapters import Device
from rescity.community.sensors.domain import sensor_rules
from rescity.core.accounts import User, principal_of
from rescity.core.config import Settings
from rescity.core.places import get_place
from rescity.core.storage.uow import UnitOfWork

HANDLERS = [
    ("zb-property", HandlerKind.PROPERTY_MANAGER, "sh-pt-zr-zb", "真北物业", "Zhenbei Property"),
    ("pt-city-services", HandlerKind.DEPARTMENT, "sh-pt", "普陀区城运中心",
     "Putuo City Operations"),
]
CASES = [  # (hours ago, type, description, attributes)
    (3, "emergency_repair", "3号楼电梯困人 / people trapped in the lift of block 3",
     {"people_trapped": "yes"}),
    (20, "waste", "垃圾箱房满溢 / the bin room is overflowing", {}),
    (1, "streetlight", "真北路路灯不亮 / streetlight out on Zhenbei Road", {}),
]
DEVICES = [("zb-thermo-1", "thermometer", "小区东门测温 / east gate thermometer"),
           ("zb-lift-3", "elevator_detector", "3号楼电梯 / lift of block 3")]


def load(settings: Settings, factory: sessionmaker[Any]) -> str:
    with UnitOfWork(factory) as uow:
        s = uow.session
        if s.scalar(select(func.count()).select_from(WorkOrder)):
            return "already loaded"
        grid = s.scalar(select(User).where(User.username == "grid1"))
        if grid is None:
            return "skipped (no demo user grid1)"
        for code, kind, place, zh, en in HANDLERS:
            p = get_place(s, place)
            s.add(Handler(code=code, kind=kind.value, name_zh=zh, name_en=en,
                          place_id=p.id, scope=p.path))
        uow.commit()
        principal = principal_of(grid)
    rt = OpsRuntime.create(settings)
    now = rt.now()
    g1 = "sh-pt-zr-zb-g1"
    for hours, code, text, attrs in CASES:
        reported = now - timedelta(hours=hours)
        past = rt.with_clock(lambda at=reported: at)  # type: ignore[misc]
        with UnitOfWork(factory) as uow:
            data = work_orders.CaseInput(service_code=code, description=text,
                                         attributes=attrs, address="真北路 / Zhenbei Road")
            work_orders.file_case(uow, past, principal, data,
                                  scope=get_place(uow.session, g1).path, channel=Channel.HOTLINE)
    with UnitOfWork(factory) as uow:
        case_sweep.sweep(uow, rt)
    for code, device_kind, label in DEVICES:
        with UnitOfWork(factory) as uow:
            if uow.session.scalar(select(Device.id).where(Device.code == code)) is None:
                sensors.register_device(uow, principal, code=code, kind=device_kind,
                                        place=get_place(uow.session, g1), rules=sensor_rules(),
                                        label=label)
    with UnitOfWork(factory) as uow:
        help_requests.create(uow, rt, principal, help_requests.HelpInput(
            place=g1, kind="medicine", urgency="high", languages=["zh"], channel="phone",
            description="独居老人需代购降压药 / blood-pressure tablets for an elderly man",
            contact_name="张先生", contact_phone="13900000000", address="真北路 88 弄 3 号",
            vulnerable=True), help_rules())
    return (f"{len(HANDLERS)} handlers, {len(CASES)} cases (one overdue), "
            f"{len(DEVICES)} devices, 1 help request")
