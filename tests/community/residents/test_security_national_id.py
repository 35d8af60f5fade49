"""Registering a national ID answers "already registered" only where the registrar can see."""

from __future__ import annotations

from sqlalchemy import select

from rescity.core.audit import AuditEntry
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import ALICE_ID, PASSWORD, World


def test_a_national_id_registered_elsewhere_is_not_revealed(world: World) -> None:
    # Alice lives in a1. A grid worker of b1 and a stranger with an invitation to b1 learn
    # nothing about her: both registrations go through.
    r = world.call("grid_b1", "POST", "/api/community/residents",
                   json={"household_id": world.ids["h3"], "name": "Probe One",
                         "national_id": ALICE_ID})
    assert r.status_code == 201, r.text
    inv = world.call("grid_b1", "POST", "/api/community/invitations",
                     json={"place": "b1", "max_uses": 1}).json()
    body = {"code": inv["code"], "username": "prober", "password": PASSWORD, "grid": "b1",
            "building": "9", "room": "902", "name": "Probe Two", "national_id": ALICE_ID}
    assert world.call("anonymous", "POST", "/api/community/register", json=body).status_code \
        == 201
    with UnitOfWork(world.factory) as uow:
        actions = uow.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("community.resident.duplicate_national_id") == 2


def test_a_national_id_the_registrar_can_see_is_still_refused(world: World) -> None:
    r = world.call("grid_a1", "POST", "/api/community/residents",
                   json={"household_id": world.ids["h2"], "name": "Twin", "national_id": ALICE_ID})
    assert r.status_code == 409
