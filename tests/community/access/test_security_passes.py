"""Revocation and moving out hold: no self-issued pass, no gate, no household access after."""

from __future__ import annotations

from sqlalchemy import update

from rescity.community.shared.adapters import Resident
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World


def _gate(world: World) -> None:
    r = world.call("manager", "POST", "/api/community/gates",
                   json={"community": "a", "code": "north", "name": "North gate"})
    assert r.status_code == 201


def _scan(world: World, token: str) -> str:
    r = world.call("manager", "POST", "/api/community/gate-events",
                   json={"gate": "north", "direction": "in", "token": token})
    assert r.status_code == 201, r.text
    return str(r.json()["outcome"])


def test_a_resident_whose_pass_staff_revoked_cannot_issue_a_new_one(world: World) -> None:
    _gate(world)
    mine = world.call("alice", "GET", "/api/community/me/pass").json()
    r = world.call("grid_a1", "POST", f"/api/community/passes/{mine['id']}/revoke")
    assert r.status_code == 204
    again = world.call("alice", "GET", "/api/community/me/pass")
    assert again.status_code == 403, again.text
    assert world.call("alice", "POST", "/api/community/passes", json={}).status_code == 403
    assert _scan(world, mine["token"]) == "revoked"
    # Staff can issue a new one, and then the resident sees it again.
    staff = world.call("grid_a1", "POST", "/api/community/passes",
                       json={"resident_id": world.ids["alice"]})
    assert staff.status_code == 201
    assert world.call("alice", "GET", "/api/community/me/pass").json()["id"] == staff.json()["id"]


def test_a_resident_may_still_replace_their_own_valid_pass(world: World) -> None:
    first = world.call("alice", "GET", "/api/community/me/pass").json()
    second = world.call("alice", "POST", "/api/community/passes", json={})
    assert second.status_code == 201 and second.json()["id"] != first["id"]
    assert world.call("alice", "GET", "/api/community/me/pass").json()["id"] == second.json()["id"]


def test_a_moved_out_resident_gets_no_pass_and_no_household(world: World) -> None:
    _gate(world)
    token = world.call("alice", "GET", "/api/community/me/pass").json()["token"]
    r = world.call("grid_a1", "POST", f"/api/community/residents/{world.ids['alice']}/moved-out")
    assert r.status_code == 204
    assert world.call("alice", "GET", "/api/community/me/pass").status_code in (403, 404, 409)
    assert world.call("alice", "POST", "/api/community/passes", json={}).status_code in (
        403, 404, 409)
    staff = world.call("grid_a1", "POST", "/api/community/passes",
                       json={"resident_id": world.ids["alice"]})
    assert staff.status_code == 409
    assert _scan(world, token) == "revoked"
    bob = world.call("alice", "GET", f"/api/community/residents/{world.ids['bob']}")
    assert bob.status_code in (403, 404)
    checkin = world.call("alice", "POST", "/api/community/checkins",
                         json={"temperature_c": 36.6, "resident_id": world.ids["bob"]})
    assert checkin.status_code in (403, 404)


def test_a_pass_of_a_resident_marked_as_gone_opens_no_gate(world: World) -> None:
    _gate(world)
    token = world.call("carol", "GET", "/api/community/me/pass").json()["token"]
    # left_at set without the passes being revoked (an import, an older release).
    with UnitOfWork(world.factory) as uow:
        uow.session.execute(update(Resident).where(Resident.id == world.ids["carol"])
                            .values(left_at=world.clock()))
        uow.commit()
    assert _scan(world, token) == "revoked"
