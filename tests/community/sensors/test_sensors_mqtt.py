"""Sensor events over a real Mosquitto broker: consume, restart the broker, lose nothing.

Each test starts its OWN broker (persistence on, in a temporary folder) on a free port, so
the shared broker on 1883 is never disturbed, and kills it at the end.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from rescity.community.alerts.adapters import Alert
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.sensors.adapters import SensorEvent
from rescity.community.sensors.consumer import Totals, make_handler
from rescity.community.sensors.domain import sensor_rules
from rescity.community.sensors.mqtt import Delivery, MqttConsumer
from rescity.community.shared.adapters import Dwelling, Household, Resident
from tests.community.casework import World

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A mosquitto process of this test's own, with persistence, that can be restarted."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="rescity-mqtt-"))
        self.dir.chmod(0o777)  # mosquitto drops root privileges to its own user
        self.port = free_port()
        (self.dir / "mosquitto.conf").write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {self.dir}/\nmax_inflight_messages 1000\n"
            "max_queued_messages 100000\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.dir / "broker.log").open("ab")
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.dir / "mosquitto.conf")],
                                     stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        """A clean stop: mosquitto saves its sessions and queued messages to disk."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def broker() -> Iterator[Broker]:
    if shutil.which("mosquitto") is None:
        pytest.fail("mosquitto is not installed (apt-get install mosquitto)")
    b = Broker()
    b.start()
    yield b
    b.close()


class Publisher:
    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex}",
                                  protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(1000)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes | str) -> None:
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout=10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def door(seq: int, device: str = "dm-1") -> str:
    at = datetime.now(UTC).isoformat()
    return json.dumps({"device": device, "seq": seq, "event": "open", "at": at})


class Running:
    """A consumer in a thread."""

    def __init__(self, w: World, port: int, client_id: str,
                 wrap: Callable[[Callable[[Sequence[Delivery]], None]],
                                Callable[[Sequence[Delivery]], None]] | None = None) -> None:
        rt = OpsRuntime.create(w.settings)  # the real clock: the broker's messages are "now"
        self.totals = Totals()
        handle = make_handler(w.session_factory, rt, sensor_rules(), self.totals)
        self.consumer = MqttConsumer(host="127.0.0.1", port=port, client_id=client_id,
                                     handle=wrap(handle) if wrap else handle,
                                     batch_size=200, retry_delay_s=0.2)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.consumer.run, args=(self.stop_event,),
                                       daemon=True)
        self.thread.start()
        assert self.consumer.wait_connected(10), "consumer did not connect"

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


@pytest.fixture
def quarantined_door(world: World) -> None:
    w = world
    with w.uow() as uow:
        s = uow.session
        dw = Dwelling(grid_id=w.places["a1"].id, scope=w.places["a1"].path, building="1",
                      room="1")
        s.add(dw)
        s.flush()
        hh = Household(dwelling_id=dw.id, scope=dw.scope)
        s.add(hh)
        s.flush()
        r = Resident(household_id=hh.id, scope=dw.scope, name="Q", registered_via="grid_worker",
                     quarantine_until=datetime.now(UTC) + timedelta(days=14))
        s.add(r)
        uow.commit()
        rid = r.id
    resp = w.client.post("/api/community/sensors/devices", headers=w.h["grid"],
                         json={"code": "dm-1", "kind": "door_magnet", "place": "a1",
                               "resident_id": rid})
    assert resp.status_code == 201


def stored(w: World) -> tuple[list[int], int]:
    with w.uow() as uow:
        seqs = list(uow.session.scalars(select(SensorEvent.seq).order_by(SensorEvent.seq)))
        alerts = uow.session.scalar(select(func.count()).select_from(Alert)) or 0
    return seqs, alerts


def wait_for(w: World, n: int, timeout: float = 30) -> tuple[list[int], int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seqs, alerts = stored(w)
        if len(seqs) >= n and alerts >= n:
            return seqs, alerts
        time.sleep(0.1)
    return stored(w)


def test_events_survive_broker_restarts_and_consumer_downtime_without_loss(
    world: World, broker: Broker, quarantined_door: None,
) -> None:
    w = world
    client_id = f"rescity-test-{uuid.uuid4().hex[:8]}"
    topic = "rescity/sensors/dm-1"
    consumer = Running(w, broker.port, client_id)
    pub = Publisher(broker.port)
    for seq in range(1, 101):
        pub.send(topic, door(seq))
    assert wait_for(w, 100) == (list(range(1, 101)), 100)

    # the consumer goes away; events keep coming and the broker queues them for its session
    consumer.stop()
    for seq in range(101, 301):
        pub.send(topic, door(seq))
    pub.close()
    broker.restart()  # the queue survives on disk
    consumer = Running(w, broker.port, client_id)
    assert wait_for(w, 300) == (list(range(1, 301)), 300)

    # the broker restarts under a running consumer, which reconnects by itself
    broker.restart()
    pub = Publisher(broker.port)
    for seq in range(301, 401):
        pub.send(topic, door(seq))
    seqs, alerts = wait_for(w, 400)
    assert seqs == list(range(1, 401)) and alerts == 400
    assert consumer.consumer.stats.connections >= 2
    consumer.stop()
    pub.close()


def test_bad_messages_are_rejected_and_counted_and_the_consumer_keeps_going(
    world: World, broker: Broker, quarantined_door: None,
) -> None:
    w = world
    consumer = Running(w, broker.port, f"rescity-test-{uuid.uuid4().hex[:8]}")
    pub = Publisher(broker.port)
    pub.send("rescity/sensors/dm-1", door(5))
    for topic, payload in [
        ("rescity/sensors/dm-1", b"\x00\xff garbage"),
        ("rescity/sensors/dm-1", "{}"),
        ("rescity/sensors/ghost", door(1, device="ghost")),
        ("rescity/sensors/dm-1", door(1, device="other")),
        ("rescity/sensors/dm-1", door(5)),  # replayed
        ("rescity/sensors/dm-1", door(3)),  # out of order
        ("rescity/sensors/dm-1", json.dumps({"device": "dm-1", "seq": 7, "event": "open",
                                             "at": "2999-01-01T00:00:00Z"})),
    ]:
        pub.send(topic, payload)
    pub.send("rescity/sensors/dm-1", door(6))
    seqs, _ = wait_for(w, 2)
    deadline = time.monotonic() + 10
    while sum(consumer.totals.outcomes.values()) < 9 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seqs == [5, 6], dict(consumer.totals.outcomes)
    assert dict(consumer.totals.outcomes) == {
        "accepted": 2, "bad_payload": 2, "unknown_device": 1, "wrong_device": 1,
        "replayed": 1, "out_of_order": 1, "future": 1}
    assert consumer.thread.is_alive()
    consumer.stop()
    pub.close()


def test_a_failed_commit_is_not_acknowledged_and_the_broker_redelivers(
    world: World, broker: Broker, quarantined_door: None,
) -> None:
    w = world
    failures = {"left": 2}

    def flaky(handle: Callable[[Sequence[Delivery]], None]) -> Callable[[Sequence[Delivery]], None]:
        def wrapped(batch: Sequence[Delivery]) -> None:
            if failures["left"] > 0:
                failures["left"] -= 1
                raise ConnectionError("database went away")
            handle(batch)
        return wrapped

    consumer = Running(w, broker.port, f"rescity-test-{uuid.uuid4().hex[:8]}", wrap=flaky)
    pub = Publisher(broker.port)
    for seq in range(1, 51):
        pub.send("rescity/sensors/dm-1", door(seq))
    seqs, alerts = wait_for(w, 50)
    assert seqs == list(range(1, 51)) and alerts == 50
    assert consumer.consumer.stats.failed_batches == 2
    consumer.stop()
    pub.close()


