"""Demo data for `rescity demo`: synthetic households, check-ins, a gate and a fever alert.

All names are visibly synthetic ("示例居民 …"), phone numbers use the reserved-looking
prefix 1990000…, and nothing resembles a real person. Running it again changes nothing;
the resident's password is the one kept in the demo logins file (rescity.core.demo_logins).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from rescity.community.access.adapters import Gate
from rescity.community.health import services as checkins
from rescity.community.health.domain import Symptom
from rescity.community.residents.domain import Channel, Relation
from rescity.community.residents.households import ensure_dwelling, new_household
from rescity.community.residents.services import NewResident, build_resident
from rescity.community.shared.adapters import Resident
from rescity.community.shared.runtime import Runtime
from rescity.core.accounts import User, create_user, grant_role, principal_of
from rescity.core.config import Settings
from rescity.core.demo_logins import demo_password
from rescity.core.places import get_place
from rescity.core.security.passwords import hash_password
from rescity.core.storage.uow import UnitOfWork

RESIDENT_LOGIN = "resident1"
# (grid, building, unit, room, [(name, relation, birth year, temperature or None)])
HOUSEHOLDS: list[tuple[str, str, str, str, list[tuple[str, Relation, int, float | None]]]] = [
    ("sh-pt-zr-zb-g1", "12", "1", "301", [
        ("示例居民 甲 (synthetic)", Relation.SELF, 1986, 36.6),
        ("示例居民 甲之母 (synthetic)", Relation.PARENT, 1947, 36.8),
    ]),
    ("sh-pt-zr-zb-g1", "12", "1", "302", [
        ("示例居民 乙 (synthetic)", Relation.SELF, 1979, 38.4),
    ]),
    ("sh-pt-zr-zb-g1", "14", "2", "101", [
        ("示例居民 丙 (synthetic)", Relation.SELF, 1990, None),
        ("示例居民 丙之子 (synthetic)", Relation.CHILD, 2015, 36.5),
    ]),
    ("sh-pt-zr-zb-g2", "3", "", "502", [
        ("示例居民 丁 (synthetic)", Relation.SELF, 1942, 36.7),
    ]),
    ("sh-pt-zr-tx-g1", "7", "1", "201", [
        ("示例居民 戊 (synthetic)", Relation.SELF, 1995, 36.4),
    ]),
]


def load_demo(settings: Settings, factory: sessionmaker[Any]) -> str:
    rt = Runtime.create(settings)
    password = demo_password(settings, RESIDENT_LOGIN)
    with UnitOfWork(factory) as uow:
        s = uow.session
        user = s.scalar(select(User).where(User.username == RESIDENT_LOGIN))
        if user is not None:
            user.password_hash = hash_password(password)
            uow.commit()
            return f"already loaded; resident login: {RESIDENT_LOGIN} / {password}"
        user = create_user(s, username=RESIDENT_LOGIN, password=password,
                           display_name="示例居民 甲 (synthetic)")
        grant_role(s, user, "resident", get_place(s, "sh-pt-zr-zb-g1"))
        phone = 19900000001
        for grid_code, building, unit, room, people in HOUSEHOLDS:
            grid = get_place(s, grid_code)
            household = new_household(s, ensure_dwelling(s, grid, building, unit, room))
            for name, relation, born, _t in people:
                build_resident(
                    s, rt, household,
                    NewResident(name=name, phone=str(phone), birth_year=born, relation=relation),
                    channel=Channel.GRID_WORKER, by=None,
                    user_id=user.id if phone == 19900000001 else None,
                )
                phone += 1
        zb = get_place(s, "sh-pt-zr-zb")
        s.add(Gate(community_id=zb.id, scope=zb.path, code="zb-north", name="真北社区北门"))
        uow.commit()
    # Today's check-ins, entered by the resident for her household and by staff for others.
    with UnitOfWork(factory) as uow:
        temperatures = {n: t for *_, people in HOUSEHOLDS for n, _r, _b, t in people}
        admin_user = uow.session.scalars(select(User).where(User.username == "admin")).one()
        admin = principal_of(admin_user)
        residents = uow.session.execute(select(Resident.id, Resident.name)).all()
    fevers = 0
    for resident_id, name in residents:
        t = temperatures.get(name)
        if t is None:
            continue
        with UnitOfWork(factory) as uow:
            checkins.submit_checkin(uow, rt, admin, checkins.NewCheckIn(
                temperature_c=t, resident_id=resident_id,
                symptoms=(Symptom.COUGH,) if t >= 37.3 else (),
            ))
        fevers += t >= 37.3
    return (f"{len(residents)} synthetic residents, {fevers} fever alert; "
            f"resident login: {RESIDENT_LOGIN} / {password}")
