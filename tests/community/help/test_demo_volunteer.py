"""The demo's volunteer (``rescity demo``, rescity/community/demo/volunteers.py), on both
backends: vetted, on shift at every hour of the week, with the kept demo password, and the
demo's help request is offered to them by a matching round."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from rescity.cli.demo import seed_demo
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.demo import casework, volunteers
from rescity.community.help.adapters import HelpOffer, Volunteer
from rescity.community.help.domain import help_rules
from rescity.community.help.matching_run import run_round
from rescity.community.help.shifts import available_at, load_slots
from rescity.community.help.volunteers import is_vetted
from rescity.core.accounts import RoleGrant, User
from rescity.core.config import Settings
from rescity.core.demo_logins import logins_file
from rescity.core.places import get_place
from rescity.core.storage.uow import UnitOfWork


def _volunteer(factory: sessionmaker[Any]) -> tuple[Volunteer, set[tuple[str, str]]]:
    with factory() as s:
        user = s.scalars(select(User).where(User.username == "volunteer1")).one()
        v = s.scalars(select(Volunteer).where(Volunteer.user_id == user.id)).one()
        roles = {(g.role, g.scope) for g in s.scalars(
            select(RoleGrant).where(RoleGrant.user_id == user.id))}
        s.expunge_all()
        return v, roles


def test_the_demo_volunteer_is_vetted_on_shift_all_week_and_offered_the_demo_request(
    settings: Settings, session_factory: sessionmaker[Any],
) -> None:
    seed_demo(session_factory, settings)
    casework.load(settings, session_factory)  # the demo's help request
    summary = volunteers.load(settings, session_factory)
    password = json.loads(logins_file(settings).read_text("utf-8"))["volunteer1"]
    assert summary.endswith(f"volunteer1 / {password}")
    v, roles = _volunteer(session_factory)
    assert is_vetted(v, datetime.now(UTC)) and v.vetted_by
    with session_factory() as s:
        grid = get_place(s, "sh-pt-zr-zb-g1").path
    assert v.scope == grid and roles == {("volunteer", grid)}
    slots, tz = load_slots(v.slots), ZoneInfo(settings.community_timezone)
    monday = datetime(2026, 12, 7, tzinfo=tz)
    assert all(available_at(slots, monday + timedelta(minutes=15 * i), tz)
               for i in range(7 * 24 * 4)), "a quarter hour of the week off shift"
    assert v.slots  # shifts given (no slots would also mean "any time")

    again = volunteers.load(settings, session_factory)  # a second start changes nothing
    assert again == summary and _volunteer(session_factory)[0].id == v.id

    rt = OpsRuntime.create(settings)
    with UnitOfWork(session_factory) as uow:
        assert run_round(uow, rt, help_rules()).offers == 1
    with session_factory() as s:
        assert s.scalars(select(HelpOffer.volunteer_id)).all() == [v.id]
