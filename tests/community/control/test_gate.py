"""Gates enforce building control status, on both paths a scan can take: the API (on
PostgreSQL on the event loop with asyncpg, on SQLite through run_flow in a thread) and the
synchronous service (run_flow on a session, on both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from rescity.community.access.adapters import GateEvent
from rescity.community.access.domain import Direction
from rescity.community.access.services import Scan, record_scan
from rescity.community.control import domain
from rescity.core.accounts import User, principal_of
from rescity.core.i18n import catalog
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World

PATHS = ["api", "service"]


def _gate(world: World) -> None:
    r = world.call("manager", "POST", "/api/community/gates",
                   json={"community": "a", "code": "north", "name": "North gate"})
    assert r.status_code == 201, r.text


def _token(world: World, who: str) -> str:
    if who in ("alice", "carol"):
        return str(world.call(who, "GET", "/api/community/me/pass").json()["token"])
    r = world.call("grid_a1", "POST", "/api/community/passes",
                   json={"resident_id": world.ids[who]})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def _scan(world: World, path: str, token: str, direction: str = "out") -> dict[str, Any]:
    if path == "api":
        # On PostgreSQL the API runs the scan's flow on the event loop (asyncpg).
        uses_asyncpg = world.client.app.state.ctx.pg_flows is not None  # type: ignore[attr-defined]
        assert uses_asyncpg == (world.engine.dialect.name == "postgresql")
        r = world.call("manager", "POST", "/api/community/gate-events",
                       json={"gate": "north", "direction": direction, "token": token})
        assert r.status_code == 201, r.text
        return dict(r.json())
    with UnitOfWork(world.factory) as uow:
        user = uow.session.scalar(select(User).where(User.username == "manager"))
        assert user is not None
        result = record_scan(uow, world.runtime, principal_of(user),
                             Scan(gate="north", direction=Direction(direction), token=token))
    return dict(result.body)


def _set(world: World, place: str = "a1", building: str = "1", status: str = "sealed",
         **extra: Any) -> dict[str, Any]:
    r = world.call("health", "POST", "/api/community/control",
                   json={"place": place, "building": building, "status": status, **extra})
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.mark.parametrize("path", PATHS)
def test_residents_of_a_sealed_building_are_not_let_out_but_may_come_home(
        world: World, path: str) -> None:
    _gate(world)
    token = _token(world, "alice")
    assert "control" not in _scan(world, path, token)  # no status: an ordinary exit
    _set(world)
    out = _scan(world, path, token)
    assert out["outcome"] == "control_closed" and out["admitted"] is False
    assert out["control"]["status"] == "sealed"
    assert out["control"]["reason"] == "ctl.reason.closed"
    assert out["control"]["message"]["zh"] == "封控：本楼栋居民不得外出。"
    assert out["control"]["message"]["en"].startswith("Sealed:")
    back = _scan(world, path, token, "in")
    assert back["outcome"] == "admitted" and "control" not in back
    with UnitOfWork(world.factory) as uow:  # the refusal is in the gate log
        outcomes = list(uow.session.scalars(select(GateEvent.outcome).order_by(GateEvent.id)))
    assert outcomes == ["admitted", "control_closed", "admitted"]


@pytest.mark.parametrize("path", PATHS)
def test_a_controlled_building_lets_each_household_out_once_a_day(
        world: World, path: str) -> None:
    _gate(world)
    alice, bob, carol = _token(world, "alice"), _token(world, "bob"), _token(world, "carol")
    _set(world, status="controlled")
    first = _scan(world, path, alice)
    assert first["admitted"] is True and first["control"]["reason"] == "ctl.reason.quota_left"
    assert "0" in first["control"]["message"]["en"]
    _scan(world, path, alice, "in")
    assert _scan(world, path, carol)["admitted"] is True  # another household, same building
    again = _scan(world, path, bob)  # alice's household has used its exit
    assert again["outcome"] == "control_quota" and again["admitted"] is False
    assert again["control"]["reason"] == "ctl.reason.household_quota"
    world.clock.advance(days=1)  # a new local day
    assert _scan(world, path, bob)["admitted"] is True


@pytest.mark.parametrize("path", PATHS)
def test_precaution_lets_residents_out_with_a_reminder(world: World, path: str) -> None:
    _gate(world)
    _set(world, place="a", building="", status="precaution")  # the whole community
    out = _scan(world, path, _token(world, "alice"))
    assert out["outcome"] == "admitted" and out["admitted"] is True
    assert out["control"]["reason"] == "ctl.reason.remind"
    assert out["control"]["message"]["en"] == catalog("en")["ctl.reason.remind"].format(
        status="Precaution")


@pytest.mark.parametrize("path", PATHS)
def test_a_status_holds_only_within_its_period_and_until_lifted(world: World, path: str) -> None:
    _gate(world)
    token = _token(world, "alice")
    later = _set(world, starts_at="2026-11-23T04:00:00Z", ends_at="2026-11-23T06:00:00Z")
    assert _scan(world, path, token)["admitted"] is True  # 02:00: not yet
    world.clock.advance(hours=3)
    assert _scan(world, path, token)["outcome"] == "control_closed"
    world.clock.advance(hours=2)  # 07:00: over
    assert _scan(world, path, token)["admitted"] is True
    open_ended = _set(world)
    assert _scan(world, path, token)["admitted"] is False
    r = world.call("health", "POST", f"/api/community/control/{open_ended['id']}/lift")
    assert r.status_code == 200 and r.json()["lifted_at"] is not None
    assert _scan(world, path, token)["admitted"] is True
    assert later["id"] != open_ended["id"]


@pytest.mark.parametrize("path", PATHS)
def test_the_strictest_status_wins_when_a_building_and_its_grid_differ(
        world: World, path: str) -> None:
    _gate(world)
    _set(world, place="a1", building="", status="precaution")
    _set(world, place="a1", building="1", status="sealed")
    assert _scan(world, path, _token(world, "alice"))["control"]["status"] == "sealed"


PERMIT_ONLY = """
[[status]]
key = "sealed"
label_zh = "封控"
label_en = "Sealed"
gate = "permit"
delivery = "door"
"""


@pytest.mark.parametrize("path", PATHS)
def test_a_status_configured_for_permits_lets_out_only_permit_holders(
        world: World, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(domain, "status_kinds", lambda: domain.parse_statuses(PERMIT_ONLY))
    _gate(world)
    alice, carol = _token(world, "alice"), _token(world, "carol")
    _set(world)
    refused = _scan(world, path, alice)
    assert refused["outcome"] == "control_permit"
    assert refused["control"]["reason"] == "ctl.reason.no_permit"
    r = world.call("grid_a1", "POST", "/api/community/control/permits", json={
        "resident_id": world.ids["alice"], "reason": "medical",
        "valid_until": "2026-11-23T06:00:00Z"})
    assert r.status_code == 201, r.text
    out = _scan(world, path, alice)
    assert out["admitted"] is True and out["control"]["reason"] == "ctl.reason.permit"
    assert _scan(world, path, carol)["outcome"] == "control_permit"  # the permit is alice's
    world.call("grid_a1", "POST", f"/api/community/control/permits/{r.json()['id']}/revoke")
    assert _scan(world, path, alice)["outcome"] == "control_permit"


def test_permits_are_checked_and_kept_to_the_issuers_area(world: World) -> None:
    body = {"resident_id": world.ids["dave"], "reason": "medical",
            "valid_until": "2026-11-24T00:00:00Z"}
    assert world.call("grid_a1", "POST", "/api/community/control/permits",
                      json=body).status_code == 403  # dave lives in b1
    assert world.call("alice", "POST", "/api/community/control/permits",
                      json={**body, "resident_id": world.ids["alice"]}).status_code == 403
    r = world.call("grid_b1", "POST", "/api/community/control/permits",
                   json={**body, "reason": "fever 39", "valid_until": "2026-12-30T00:00:00Z"})
    assert r.status_code == 422
    assert sorted(p["where"] for p in r.json()["problems"]) == ["reason", "valid_until"]
