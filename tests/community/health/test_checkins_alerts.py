"""Check-ins, the missing list, the sweep, alert routing and the alert lifecycle."""

from __future__ import annotations

from sqlalchemy import select

from rescity.community.shared.adapters import Resident
from rescity.core.audit import AuditEntry
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World


def test_a_normal_check_in_raises_nothing_and_symptoms_raise_a_symptom_alert(world: World) -> None:
    ok = world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 36.6})
    assert ok.status_code == 201 and ok.json()["alerts"] == []
    sick = world.call("carol", "POST", "/api/community/checkins",
                      json={"temperature_c": 36.9, "symptoms": ["cough"],
                            "risk": ["contact_with_case"]})
    assert sick.json()["fever"] is False and len(sick.json()["alerts"]) == 1
    alerts = world.call("grid_a1", "GET", "/api/community/alerts").json()
    assert [(a["kind"], a["severity"]) for a in alerts] == [("symptoms", "medium")]
    assert alerts[0]["detail"] == {"symptoms": ["cough"], "risk": ["contact_with_case"]}


def test_check_ins_refuse_impossible_temperatures_and_unknown_fields(world: World) -> None:
    r = world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 45})
    assert r.status_code == 422 and "temperature_c" in r.text
    gps = world.call("alice", "POST", "/api/community/checkins",
                     json={"temperature_c": 36.5, "lat": 31.2, "lon": 121.4})
    assert gps.status_code == 422  # no location, ever


def test_two_fevers_on_one_day_make_one_alert(world: World) -> None:
    for t in (38.0, 38.4):
        world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": t})
    assert len(world.call("grid_a1", "GET", "/api/community/alerts").json()) == 1


def test_the_fever_threshold_is_per_community_data(world: World) -> None:
    r = world.call("admin", "PUT", "/api/community/rules/a/fever", json={"threshold_c": 38.5})
    assert r.status_code == 200
    fever = next(x for x in r.json() if x["kind"] == "fever")
    assert fever["params"] == {"threshold_c": 38.5}
    world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 38.0})
    world.call("dave", "POST", "/api/community/checkins", json={"temperature_c": 38.0})
    raised = world.call("admin", "GET", "/api/community/alerts").json()
    # Only Dave's community kept the default 37.3 °C.
    assert [(a["kind"], a["subject_name"]) for a in raised] == [("fever", "Dave Test")]
    bad = world.call("admin", "PUT", "/api/community/rules/a/fever",
                     json={"threshold_c": 50, "colour": "red"})
    assert bad.status_code == 422
    assert {p["where"] for p in bad.json()["problems"]} == {"fever.threshold_c", "fever.colour"}


def test_grid_worker_lists_who_has_not_checked_in(world: World) -> None:
    world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 36.5})
    missing = world.call("grid_a1", "GET", "/api/community/checkins/missing").json()
    assert {m["name"] for m in missing} == {"Bob Test", "Carol Test"}
    assert all(m["dwelling"].startswith("1-2-") for m in missing)
    # Alice checks in for her father Bob (same household).
    r = world.call("alice", "POST", "/api/community/checkins",
                   json={"temperature_c": 36.4, "resident_id": world.ids["bob"]})
    assert r.status_code == 201
    missing = world.call("grid_a1", "GET", "/api/community/checkins/missing").json()
    assert [m["name"] for m in missing] == ["Carol Test"]


def test_missed_check_ins_raise_alerts_only_after_the_deadline_and_once(world: World) -> None:
    # 10:00 in Shanghai: before the 20:00 deadline.
    assert world.call("admin", "POST", "/api/community/alerts/sweep",
                      json={"place": "c"}).json() == {"raised": 0}
    world.clock.advance(hours=11)  # 21:00 local
    assert world.call("admin", "POST", "/api/community/alerts/sweep",
                      json={"place": "c"}).json() == {"raised": 4}
    world.call("admin", "POST", "/api/community/alerts/sweep", json={"place": "c"})
    alerts = world.call("admin", "GET", "/api/community/alerts",
                        params={"kind": "missed_checkin"}).json()
    assert len(alerts) == 4
    # Each went to the grid worker of the resident's grid.
    by_scope = {a["subject_name"]: a["assignee_id"] for a in alerts}
    assert by_scope["Dave Test"] == world.ids["user_grid_b1"]
    assert by_scope["Alice Test"] == world.ids["user_grid_a1"]


def test_alert_lifecycle_records_who_and_when(world: World) -> None:
    world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 39.0})
    alert = world.call("grid_a1", "GET", "/api/community/alerts", params={"mine": True}).json()[0]
    assert alert["status"] == "new"
    path = f"/api/community/alerts/{alert['id']}"
    world.clock.advance(minutes=5)
    ack = world.call("grid_a1", "POST", path + "/acknowledge").json()
    assert ack["status"] == "acknowledged"
    assert ack["acknowledged_by"] == world.ids["user_grid_a1"]
    assert ack["acknowledged_at"].startswith("2026-11-23T02:05")
    again = world.call("grid_a1", "POST", path + "/acknowledge")
    assert again.status_code == 409
    world.clock.advance(minutes=30)
    done = world.call("health", "POST", path + "/resolve", json={"note": "tested, isolated"})
    body = done.json()
    assert body["status"] == "resolved" and body["resolved_by"] == world.ids["user_health"]
    assert body["resolution"] == "tested, isolated"
    assert world.call("grid_a1", "POST", path + "/resolve").status_code == 409
    with UnitOfWork(world.factory) as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.record_type == "alert")
        ).all()
    assert actions == ["community.alert.raise", "community.alert.acknowledged",
                       "community.alert.resolved"]


def test_other_sources_can_raise_alerts_through_the_same_service(world: World) -> None:
    """Part II (sensors over MQTT, work orders) calls raise_alert with its own kind/source."""
    from rescity.community.alerts.domain import Severity
    from rescity.community.alerts.services import raise_alert

    with UnitOfWork(world.factory) as uow:
        grid = uow.session.get(Resident, world.ids["carol"])
        assert grid is not None
        first = raise_alert(uow.session, kind="door_sensor_open", scope=grid.scope,
                            severity=Severity.HIGH, source="sensor", source_ref="mqtt:door/12",
                            dedup_key="sensor:door/12:1", now=world.clock())
        second = raise_alert(uow.session, kind="door_sensor_open", scope=grid.scope,
                             severity=Severity.HIGH, source="sensor", source_ref="mqtt:door/12",
                             dedup_key="sensor:door/12:1", now=world.clock())
        assert first.id == second.id and first.assignee_id == world.ids["user_grid_a1"]
        uow.commit()
    kinds = [a["kind"] for a in world.call("grid_a1", "GET", "/api/community/alerts").json()]
    assert kinds == ["door_sensor_open"]
