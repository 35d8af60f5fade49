"""Sensor events through the HTTP fallback: validation, storage, rules → alerts and cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from rescity.community.alerts.adapters import Alert
from rescity.community.cases.adapters import WorkOrder
from rescity.community.sensors import domain as sd
from rescity.community.sensors.adapters import SensorEvent
from rescity.community.shared.adapters import Dwelling, Household, Resident
from rescity.core.errors import DataFileError
from tests.community.casework import World

T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"device":"d1","seq":1,"event":"open"}', sd.Reading("d1", 1, None, "open", None)),
        ({"device": "d1", "seq": 2, "event": "reading", "value": 37,
          "at": "2026-03-02T09:00:00+08:00"},
         sd.Reading("d1", 2, datetime(2026, 3, 2, 1, tzinfo=UTC), "reading", 37.0)),
        (b"not json", sd.Reject.BAD_PAYLOAD),
        (b"[1, 2]", sd.Reject.BAD_PAYLOAD),
        (b'{"device":"d1","seq":"1","event":"open"}', sd.Reject.BAD_PAYLOAD),
        (b'{"device":"d1","seq":true,"event":"open"}', sd.Reject.BAD_PAYLOAD),
        (b'{"device":"d1","seq":0,"event":"open"}', sd.Reject.BAD_PAYLOAD),
        (b'{"device":"","seq":1,"event":"open"}', sd.Reject.BAD_PAYLOAD),
        (b'{"device":"d1","seq":1,"event":"open","value":"hot"}', sd.Reject.BAD_VALUE),
        (b'{"device":"d1","seq":1,"event":"open","at":"2026-03-02T09:00:00"}',
         sd.Reject.BAD_PAYLOAD),  # no time zone
        (b'{"device":"d1","seq":1,"event":"open","at":"yesterday"}', sd.Reject.BAD_PAYLOAD),
        (b"\xff\xfe", sd.Reject.BAD_PAYLOAD),
        (b"[" * 5000, sd.Reject.BAD_PAYLOAD),
    ],
)
def test_a_message_is_parsed_or_rejected_without_raising(payload: Any, expected: Any) -> None:
    assert sd.parse_message(payload) == expected


def test_a_rule_naming_an_event_the_device_cannot_send_is_refused() -> None:
    text = ('[limits]\nmax_future_s = 1\nmax_age_h = 1\n[devices.door_magnet]\nevents = ["open"]\n'
            '[[rules]]\nname = "x"\ndevice = "door_magnet"\nevent = "shut"\naction = "alert"\n'
            'alert_kind = "k"\nonce_per = "event"\n')
    with pytest.raises(DataFileError, match=r"#1 \(x\): no event 'shut'"):
        sd.parse_rules(text)


@pytest.fixture
def devices(world: World) -> dict[str, str]:
    """Devices in grid a1 (tokens by code); the door magnet watches a quarantined resident."""
    w = world
    with w.uow() as uow:
        s = uow.session
        dw = Dwelling(grid_id=w.places["a1"].id, scope=w.places["a1"].path, building="3",
                      room="101")
        s.add(dw)
        s.flush()
        hh = Household(dwelling_id=dw.id, scope=dw.scope)
        s.add(hh)
        s.flush()
        r = Resident(household_id=hh.id, scope=dw.scope, name="Q", registered_via="grid_worker",
                     quarantine_until=T + timedelta(days=1))
        s.add(r)
        uow.commit()
        resident_id = r.id
    tokens = {}
    for code, kind, extra in (("dm-1", "door_magnet", {"resident_id": resident_id}),
                              ("th-1", "thermometer", {}), ("el-1", "elevator_detector", {}),
                              ("cam-1", "camera", {})):
        resp = w.client.post("/api/community/sensors/devices", headers=w.h["grid"],
                             json={"code": code, "kind": kind, "place": "a1", **extra})
        assert resp.status_code == 201, resp.text
        tokens[code] = resp.json()["token"]
    return tokens


def send(w: World, token: str, *events: dict[str, Any]) -> dict[str, Any]:
    r = w.client.post("/api/community/sensors/events", headers={"X-Device-Token": token},
                      json={"events": list(events)})
    assert r.status_code == 200, r.text
    return dict(r.json())


def ev(device: str, seq: int, event: str, at: datetime | None = None, **kw: Any) -> dict[str, Any]:
    return {"device": device, "seq": seq, "event": event,
            "at": (at or T).isoformat(), **kw}


def alerts(w: World) -> list[Alert]:
    with w.uow() as uow:
        rows = list(uow.session.scalars(select(Alert).order_by(Alert.id)))
        uow.session.expunge_all()  # keep the loaded values after the unit of work ends
        return rows


def test_a_quarantined_residents_door_opening_alerts_the_grid_worker(
    world: World, devices: dict[str, str],
) -> None:
    w = world
    r = send(w, devices["dm-1"], ev("dm-1", 1, "open"), ev("dm-1", 2, "close"))
    assert (r["accepted"], r["alerts"]) == (2, 1)
    [a] = alerts(w)
    assert (a.kind, a.source, a.severity, a.subject_type) == (
        "quarantine_breach", "sensor", "high", "resident")
    assert a.assignee_id == w.users["grid"]
    assert a.dedup_key == "sensor:quarantine_door_opened:dm-1:s1"
    assert a.scope == w.places["a1"].path
    # after the quarantine ends, opening the door is nobody's business
    w.clock.advance(days=2)
    later = send(w, devices["dm-1"], ev("dm-1", 3, "open", at=w.clock.now))
    assert (later["accepted"], later["alerts"]) == (1, 0)


def test_a_fever_reading_raises_an_alert_and_a_normal_one_does_not(
    world: World, devices: dict[str, str],
) -> None:
    r = send(world, devices["th-1"], ev("th-1", 1, "reading", value=36.6),
             ev("th-1", 2, "reading", value=38.2))
    assert (r["accepted"], r["alerts"]) == (2, 1)
    assert alerts(world)[0].detail["value"] == 38.2


def test_three_e_bikes_in_a_lift_in_a_day_make_one_work_order_for_the_property_manager(
    world: World, devices: dict[str, str],
) -> None:
    w = world
    tok = devices["el-1"]
    assert send(w, tok, ev("el-1", 1, "ebike"), ev("el-1", 2, "ebike"))["cases"] == 0
    w.clock.advance(hours=3)
    assert send(w, tok, ev("el-1", 3, "ebike", at=w.clock.now))["cases"] == 1
    w.clock.advance(hours=1)
    assert send(w, tok, ev("el-1", 4, "ebike", at=w.clock.now))["cases"] == 0
    w.clock.advance(days=1)
    next_day = [ev("el-1", 4 + i, "ebike", at=w.clock.now - timedelta(minutes=i))
                for i in range(1, 4)]
    assert send(w, tok, *next_day)["cases"] == 1
    with w.uow() as uow:
        cases = uow.session.scalars(select(WorkOrder).order_by(WorkOrder.id)).all()
        assert [(c.service_code, c.channel, c.status) for c in cases] == [
            ("ebike_elevator", "sensor", "dispatched")] * 2
        assert cases[0].handler_id is not None and cases[0].public is False


def test_bad_replayed_and_out_of_order_messages_are_rejected_and_counted(
    world: World, devices: dict[str, str],
) -> None:
    w = world
    tok = devices["th-1"]
    send(w, tok, ev("th-1", 5, "reading", value=36.5))
    r = send(w, tok,
             ev("th-1", 5, "reading", value=36.5),                      # replayed
             ev("th-1", 4, "reading", value=36.5),                      # never stored: out of order
             ev("th-1", 9, "reading"),                                  # no value
             ev("th-1", 10, "reading", value=80),                       # impossible value
             ev("th-1", 11, "open"),                                    # not a thermometer event
             ev("dm-1", 12, "open"),                                    # another device's id
             ev("th-1", 13, "reading", value=36.5, at=T + timedelta(hours=1)),   # future
             ev("th-1", 14, "reading", value=36.5, at=T - timedelta(days=3)),    # stale
             {"device": "th-1"},                                        # bad payload
             ev("th-1", 15, "reading", value=36.7),                     # fine
             ev("th-1", 15, "reading", value=36.7))                     # same batch replay
    assert r["results"] == ["replayed", "out_of_order", "bad_value", "bad_value", "bad_event",
                            "wrong_device", "future", "stale", "bad_payload", "accepted",
                            "replayed"]
    counts = w.client.get("/api/community/sensors/rejects", headers=w.h["grid"]).json()
    assert counts == {"replayed": 2, "out_of_order": 1, "bad_value": 2, "bad_event": 1,
                      "wrong_device": 1, "future": 1, "stale": 1, "bad_payload": 1}
    with w.uow() as uow:
        seqs = uow.session.scalars(select(SensorEvent.seq).order_by(SensorEvent.seq)).all()
        assert seqs == [5, 15]


def test_device_tokens_are_required_for_http_events(world: World, devices: dict[str, str]) -> None:
    c = world.client
    body = {"events": [ev("th-1", 1, "reading", value=36.5)]}
    assert c.post("/api/community/sensors/events", json=body).status_code == 401
    assert c.post("/api/community/sensors/events", json=body,
                  headers={"X-Device-Token": "dev_wrong"}).status_code == 401
    user_token = c.post("/api/community/sensors/events", json=body, headers=world.h["grid"])
    assert user_token.status_code == 401  # a person's token is not a device's
    too_many = {"events": [ev("th-1", i, "reading", value=36.5) for i in range(1, 502)]}
    r = c.post("/api/community/sensors/events", json=too_many,
               headers={"X-Device-Token": devices["th-1"]})
    assert r.status_code == 422
    single = c.post("/api/community/sensors/events", json=ev("th-1", 1, "reading", value=36.5),
                    headers={"X-Device-Token": devices["th-1"]})
    assert single.json()["accepted"] == 1


def test_events_are_stored_minimally(world: World, devices: dict[str, str]) -> None:
    send(world, devices["cam-1"], ev("cam-1", 1, "loitering", note="person in red coat",
                                     image="data:..."))
    with world.uow() as uow:
        [row] = uow.session.scalars(select(SensorEvent)).all()
        stored = {c.name: getattr(row, c.name) for c in SensorEvent.__table__.columns}
    assert "red coat" not in json.dumps(stored, default=str)
    assert set(stored) == {"id", "device_id", "scope", "kind", "at", "seq", "value", "received_at"}


def test_a_sensor_alert_notifies_the_grid_worker_once_even_when_redelivered(
    world: World, devices: dict[str, str],
) -> None:
    from rescity.core.notifications import Notification

    w = world
    for _ in range(2):  # the device (or the broker) sends the same readings again
        send(w, devices["dm-1"], ev("dm-1", 1, "open"), ev("dm-1", 2, "close"))
    [a] = alerts(w)
    with w.uow() as uow:
        notes = [(n.recipient_user_id, n.kind, n.urgent, n.dedupe_key)
                 for n in uow.session.scalars(select(Notification))]
    assert notes == [(w.users["grid"], "alert.new", True, f"alert:{a.id}")]
