"""Setting and lifting control statuses: who may, what is checked, the grid worker's alert,
the audit trail, and the per-building board behind the map."""

from __future__ import annotations

import sys
import types

import pytest
from sqlalchemy import select

from rescity.community.control import cases
from rescity.community.control.domain import (
    PERMIT_KEY,
    QUOTA_LEFT_KEY,
    REASON_KEYS,
    RULE_KEYS,
    parse_statuses,
)
from rescity.core.accounts import User, principal_of
from rescity.core.audit import AuditEntry
from rescity.core.errors import ConfigError
from rescity.core.i18n import catalog
from rescity.core.places import get_place
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World


def test_a_status_change_notifies_the_grid_worker_and_is_audited(world: World) -> None:
    r = world.call("health", "POST", "/api/community/control",
                   json={"place": "a1", "building": "1", "status": "sealed", "note": "2 cases"})
    assert r.status_code == 201, r.text
    status_id = r.json()["id"]
    alerts = world.call("grid_a1", "GET", "/api/community/alerts").json()
    assert [(a["kind"], a["assignee_id"], a["detail"]["change"], a["detail"]["status"])
            for a in alerts] == [("control_status", world.ids["user_grid_a1"], "set", "sealed")]
    assert alerts[0]["detail"]["summary"] == {"en": "Building 1: Sealed set",
                                               "zh": "1号楼：已设为封控"}
    assert world.call("grid_b1", "GET", "/api/community/alerts").json() == []  # not theirs
    world.call("health", "POST", f"/api/community/control/{status_id}/lift")
    changes = [a["detail"]["change"]
               for a in world.call("grid_a1", "GET", "/api/community/alerts").json()]
    assert sorted(changes) == ["lifted", "set"]
    with UnitOfWork(world.factory) as uow:
        actions = list(uow.session.scalars(select(AuditEntry.action).where(
            AuditEntry.record_type == "control_status").order_by(AuditEntry.id)))
    assert actions == ["community.control.set", "community.control.lift"]


def test_only_a_health_officer_within_scope_sets_a_status(world: World) -> None:
    body = {"place": "a1", "building": "1", "status": "sealed"}
    for who in ("grid_a1", "alice", "manager"):
        assert world.call(who, "POST", "/api/community/control", json=body).status_code == 403
    assert world.call("anonymous", "POST", "/api/community/control",
                      json=body).status_code in (401, 403)  # no session: refused
    # Gate staff and grid workers read statuses; residents do not.
    assert world.call("manager", "GET", "/api/community/control").status_code == 200
    assert world.call("alice", "GET", "/api/community/control").status_code == 403


def test_bad_statuses_are_refused_with_every_problem_named(world: World) -> None:
    r = world.call("health", "POST", "/api/community/control", json={
        "place": "a1", "building": "77", "status": "lockdown",
        "starts_at": "2026-11-24T00:00:00Z", "ends_at": "2026-11-23T00:00:00Z"})
    assert r.status_code == 422
    fields = sorted(p["where"] for p in r.json()["problems"])
    assert fields == ["building", "ends_at", "status"]
    r = world.call("health", "POST", "/api/community/control",
                   json={"place": "a", "building": "1", "status": "sealed"})
    assert r.status_code == 422  # a building is named within a grid
    r = world.call("health", "POST", "/api/community/control",
                   json={"place": "nowhere", "status": "sealed"})
    assert r.status_code == 404


def test_a_new_status_on_the_same_building_ends_the_one_before(world: World) -> None:
    first = world.call("health", "POST", "/api/community/control",
                       json={"place": "a1", "building": "1", "status": "sealed"}).json()
    world.clock.advance(days=3)
    world.call("health", "POST", "/api/community/control",
               json={"place": "a1", "building": "1", "status": "controlled"})
    current = world.call("health", "GET", "/api/community/control").json()
    assert [s["status"] for s in current] == ["controlled"]
    everything = world.call("health", "GET", "/api/community/control?all=true").json()
    ended = next(s for s in everything if s["id"] == first["id"])
    assert ended["ends_at"] is not None and ended["lifted_at"] is not None


def test_the_board_lists_every_building_with_its_status(world: World) -> None:
    world.call("health", "POST", "/api/community/control",
               json={"place": "a1", "building": "1", "status": "sealed"})
    board = world.call("health", "GET", "/api/community/control/buildings").json()
    rows = {(b["grid"], b["building"]): b for b in board}
    assert rows[("a1", "1")]["status"] == "sealed" and rows[("a1", "1")]["households"] == 2
    assert rows[("b1", "9")]["status"] is None
    assert rows[("a1", "1")]["cases"] is None  # no case records: no counts, not zeros
    mine = world.call("grid_b1", "GET", "/api/community/control/buildings").json()
    assert [(b["grid"], b["building"]) for b in mine] == [("b1", "9")]


def test_case_counts_come_from_the_outbreak_capability_when_it_is_there(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cases, "_PROVIDER", ("rescity.community.no_such_capability", "f"))
    with UnitOfWork(world.factory) as uow:
        assert cases.case_counts(uow.session, _principal(uow, "health")) == {}
    grid_a1 = _grid_id(world, "a1")
    fake = types.ModuleType("fake_outbreak")
    fake.counts = lambda _session, _principal: {(grid_a1, "1"): 3}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_outbreak", fake)
    monkeypatch.setattr(cases, "_PROVIDER", ("fake_outbreak", "counts"))
    board = world.call("health", "GET", "/api/community/control/buildings").json()
    assert {(b["grid"], b["building"]): b["cases"] for b in board} == {
        ("a1", "1"): 3, ("b1", "9"): 0}


def _principal(uow: UnitOfWork, username: str) -> Principal:
    user = uow.session.scalar(select(User).where(User.username == username))
    assert user is not None
    return principal_of(user)


def _grid_id(world: World, code: str) -> int:
    with UnitOfWork(world.factory) as uow:
        return get_place(uow.session, code).id


def test_every_gate_reason_has_a_message_in_both_languages() -> None:
    for lang in ("zh", "en"):
        for key in [*REASON_KEYS.values(), QUOTA_LEFT_KEY, PERMIT_KEY, *RULE_KEYS.values()]:
            assert catalog(lang)[key].format(status="x", n=1)


def test_a_misconfigured_status_table_names_every_problem() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_statuses('[[status]]\nkey = "a"\ngate = "household_quota"\n'
                       '[[status]]\nkey = "a"\ngate = "remind"\n'
                       '[[status]]\nkey = "b"\ngate = "fly"\n')
    assert len(caught.value.problems) == 3
