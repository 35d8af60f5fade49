"""Demo volunteer for ``rescity demo``: ``volunteer1``, registered in the first Zhenbei grid,
on shift all week and vetted by the grid worker ``grid1``, so help requests are offered to
them (``rescity help-requests match``) and their "My offers" page has something to show.

Idempotent: a second run keeps the volunteer, sets the kept password again and renews the
vetting if it has lapsed (a suspension or rejection decided in the demo is kept). The password
is the one kept in the demo logins file (rescity.core.demo_logins).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help import vetting
from rescity.community.help.adapters import Volunteer
from rescity.community.help.domain import Vetting, help_rules
from rescity.community.help.shifts import DAYS
from rescity.community.help.volunteers import VolunteerInput, create, is_vetted
from rescity.core.accounts import User, create_user, grant_role, principal_of
from rescity.core.config import Settings
from rescity.core.demo_logins import demo_password
from rescity.core.places import get_place
from rescity.core.security.passwords import hash_password
from rescity.core.security.policy import Role
from rescity.core.storage.uow import UnitOfWork

VOLUNTEER_LOGIN = "volunteer1"
GRID = "sh-pt-zr-zb-g1"
VETTER = "grid1"
# A whole day, every day: the demo volunteer can be offered any request at any hour.
ALL_WEEK = [{"day": day, "start": "00:00", "end": "24:00"} for day in DAYS]


def load(settings: Settings, factory: sessionmaker[Any]) -> str:
    rt = OpsRuntime.create(settings)
    password = demo_password(settings, VOLUNTEER_LOGIN)
    with UnitOfWork(factory) as uow:
        s = uow.session
        vetter = s.scalar(select(User).where(User.username == VETTER))
        if vetter is None:
            return f"skipped (no demo user {VETTER})"
        user = s.scalar(select(User).where(User.username == VOLUNTEER_LOGIN))
        if user is None:
            user = create_user(s, username=VOLUNTEER_LOGIN, password=password,
                               display_name="示例志愿者 (synthetic)")
            grid = get_place(s, GRID)
            grant_role(s, user, Role.VOLUNTEER, grid)
            create(s, rt, user.id, grid, VolunteerInput(
                place=GRID, display_name="示例志愿者 (synthetic)",
                skills=["shopping", "pharmacy", "phone_support"], languages=["zh", "en"],
                phone="19900000100", slots=ALL_WEEK, capacity=3, consent=True,
            ), help_rules())
        else:
            user.password_hash = hash_password(password)
        volunteer = s.scalars(select(Volunteer).where(Volunteer.user_id == user.id)).one()
        uow.commit()
        # Pending, or vetted long ago; a decision taken in the demo (suspended, rejected) stays.
        needs_vetting = volunteer.vetting_state == Vetting.PENDING or (
            volunteer.vetting_state == Vetting.VETTED and not is_vetted(volunteer, rt.now()))
        volunteer_id, principal = volunteer.id, principal_of(vetter)
    if needs_vetting:
        with UnitOfWork(factory) as uow:
            vetting.decide(uow, rt, principal, volunteer_id, state=Vetting.VETTED,
                           organisation="真北社区居委会 (demo)")
    return (f"1 vetted volunteer on shift all week; volunteer login: "
            f"{VOLUNTEER_LOGIN} / {password}")
