"""Benchmarks of community part II; prints one table.

1. Sensor events end to end: a publisher process sends door-magnet events for quarantined
   residents over MQTT (QoS 1) to a private Mosquitto; the consumer (``rescity sensors run``'s
   code: batch → validate → store → rule → alert, acknowledged after the commit) writes them to
   a throwaway PostgreSQL database. Rate = events ÷ (first publish → last alert committed).
   Every event raises an alert: the worst case for the rule stage.
2. Matching 10,000 open help requests against 5,000 volunteers (numpy kernel: hard filters,
   scores, top-k, then the greedy assignment with capacities) in a synthetic 30 × 30 km city.

Usage: ``python bench/community_ops.py [--events 20000] [--devices 200] [--pg-url URL]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, func, select, text

from rescity.community.alerts.adapters import Alert
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help import matching as hm
from rescity.community.help.domain import help_rules
from rescity.community.sensors.adapters import Device
from rescity.community.sensors.consumer import Totals, make_handler
from rescity.community.sensors.domain import sensor_rules
from rescity.community.sensors.mqtt import MqttConsumer
from rescity.community.sensors.services import token_digest
from rescity.community.shared.adapters import Dwelling, Household, Resident
from rescity.core.config import load_settings
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_broker(folder: Path, port: int) -> subprocess.Popen[bytes]:
    folder.chmod(0o777)
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                    f"persistence_location {folder}/\nmax_inflight_messages 4000\n"
                    "max_queued_messages 0\n")
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def publish(port: int, n: int, devices: int, ready: Any) -> None:
    """Runs in its own process so that publishing does not share the consumer's GIL."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}",
                    protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port)
    c.loop_start()
    ready.wait()
    infos = []
    seq = [0] * devices
    for i in range(n):
        d = i % devices
        seq[d] += 1
        payload = json.dumps({"device": f"dm-{d}", "seq": seq[d], "event": "open",
                              "at": datetime.now(UTC).isoformat()})
        infos.append(c.publish(f"rescity/sensors/dm-{d}", payload, qos=1))
    for info in infos:
        info.wait_for_publish(timeout=120)
    c.disconnect()
    c.loop_stop()


def seed_devices(factory: Any, devices: int) -> None:
    with UnitOfWork(factory) as uow:
        s = uow.session
        city = add_place(s, level=PlaceLevel.CITY, code="bc", name_zh="城")
        d = add_place(s, level=PlaceLevel.DISTRICT, code="bd", name_zh="区", parent=city)
        sd = add_place(s, level=PlaceLevel.SUBDISTRICT, code="bs", name_zh="街道", parent=d)
        comm = add_place(s, level=PlaceLevel.COMMUNITY, code="bm", name_zh="社区", parent=sd)
        grid = add_place(s, level=PlaceLevel.GRID, code="bg", name_zh="网格", parent=comm)
        until = datetime.now(UTC) + timedelta(days=14)
        for i in range(devices):
            dw = Dwelling(grid_id=grid.id, scope=grid.path, building=str(i), room="1")
            s.add(dw)
            s.flush()
            hh = Household(dwelling_id=dw.id, scope=grid.path)
            s.add(hh)
            s.flush()
            r = Resident(household_id=hh.id, scope=grid.path, name="q",
                         registered_via="bench", quarantine_until=until)
            s.add(r)
            s.flush()
            s.add(Device(code=f"dm-{i}", kind="door_magnet", place_id=grid.id,
                         scope=grid.path, token_digest=token_digest(f"t{i}"),
                         subject_type="resident", subject_id=r.id))
        uow.commit()


def bench_sensors(events: int, devices: int, pg_admin: str) -> dict[str, float]:
    name = f"rescity_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_admin.rsplit("/", 1)[0] + f"/{name}"
    folder = Path(tempfile.mkdtemp(prefix="rescity-bench-mqtt-"))
    port = free_port()
    broker = start_broker(folder, port)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        factory = make_session_factory(engine)
        seed_devices(factory, devices)
        settings = load_settings(environment="test", database_url=url,
                                 secret_key="bench-" + "x" * 40)
        rt = OpsRuntime.create(settings)
        totals = Totals()
        consumer = MqttConsumer(host="127.0.0.1", port=port, client_id="bench-consumer",
                                handle=make_handler(factory, rt, sensor_rules(), totals),
                                batch_size=1000, batch_wait_s=0.05)
        stop = threading.Event()
        thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
        thread.start()
        assert consumer.wait_connected(10)
        ready = mp.Event()
        pub = mp.Process(target=publish, args=(port, events, devices, ready))
        pub.start()
        time.sleep(0.5)
        t0 = time.perf_counter()
        ready.set()
        while True:
            with engine.connect() as conn:
                n = conn.execute(select(func.count()).select_from(Alert)).scalar_one()
            if n >= events or time.perf_counter() - t0 > 600:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        pub.join()
        stop.set()
        thread.join(timeout=10)
        return {"events": events, "alerts": n, "seconds": elapsed, "rate": n / elapsed,
                "rejected": sum(totals.outcomes.values()) - totals.accepted}
    finally:
        engine.dispose()
        broker.send_signal(signal.SIGTERM)
        broker.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def synthetic_city(n_r: int, n_v: int, seed: int = 7) -> tuple[hm.Requests, hm.Volunteers]:
    rng = np.random.default_rng(seed)
    lat0, lon0 = 31.23, 121.47

    def pts(n: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        return lat0 + rng.uniform(-0.135, 0.135, n), lon0 + rng.uniform(-0.16, 0.16, n)

    def community(lat: np.ndarray[Any, Any], lon: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        row = np.floor((lat - lat0 + 0.135) / 0.0135).clip(0, 19)
        col = np.floor((lon - lon0 + 0.16) / 0.016).clip(0, 19)
        return (row * 20 + col).astype(np.int64)  # 400 communities of ~1.5 km

    rules = help_rules()
    rlat, rlon = pts(n_r)
    vlat, vlon = pts(n_v)
    day = rng.integers(0, 7, n_r)
    start = rng.integers(8, 18, n_r)
    windows = np.stack([hm.hour_bits(list(range(d * 24 + s, d * 24 + s + 4)))
                        if rng.random() < 0.6 else np.zeros(3, dtype=np.uint64)
                        for d, s in zip(day, start, strict=True)])
    r = hm.Requests(
        kind=rng.integers(0, len(rules.kinds), n_r), lat=rlat, lon=rlon,
        area=community(rlat, rlon), lang_mask=np.where(rng.random(n_r) < 0.8, 1, 3).astype(
            np.int64), first_lang=np.where(rng.random(n_r) < 0.8, 0, 1).astype(np.int64),
        needs_vetting=rng.random(n_r) < 0.3, window=windows)
    areas = np.zeros((n_v, 400), dtype=bool)
    areas[np.arange(n_v), community(vlat, vlon)] = True
    avail = np.stack([hm.hour_bits([d * 24 + h for d in range(7) if rng.random() < 0.6
                                    for h in range(9, 21)]) for _ in range(n_v)])
    skills = (1 << np.arange(len(rules.skills)))
    skill_mask = np.array([int(skills[rng.random(len(skills)) < 0.4].sum()) | 1
                           for _ in range(n_v)], dtype=np.int64)
    v = hm.Volunteers(
        lat=vlat, lon=vlon, radius_km=rng.uniform(1, 5, n_v), areas=areas,
        lang_mask=np.where(rng.random(n_v) < 0.9, 1, 3).astype(np.int64), skill_mask=skill_mask,
        vetted=rng.random(n_v) < 0.7, load=rng.integers(0, 2, n_v),
        capacity=rng.integers(2, 5, n_v), delivered=rng.integers(0, 30, n_v),
        failed=rng.integers(0, 4, n_v), availability=avail)
    return r, v


def bench_matching(n_r: int, n_v: int, repeats: int = 3, *, dense: bool = False
                   ) -> dict[str, float]:
    """``dense``: every volunteer's radius covers the whole city, so no pair is pruned by
    place: the kernel's worst case."""
    r, v = synthetic_city(n_r, n_v)
    if dense:
        v.radius_km = np.full(n_v, 50.0)
    rules = help_rules()
    best = float("inf")
    matched = 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        idx, score = hm.rank(r, v, rules.kind_skills, rules.weights, k=rules.candidates)
        room = [int(c - ld) for c, ld in zip(v.capacity, v.load, strict=True)]
        made = hm.assign(idx, score, order=list(range(n_r)), needed=[1] * n_r, room=room)
        best = min(best, time.perf_counter() - t0)
        matched = len(made)
    return {"requests": n_r, "volunteers": n_v, "seconds": best, "matched": matched}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--volunteers", type=int, default=5_000)
    ap.add_argument("--pg-url", default=PG_ADMIN, help="an admin URL of a PostgreSQL server")
    args = ap.parse_args()
    m = bench_matching(args.requests, args.volunteers)
    md = bench_matching(args.requests, args.volunteers, dense=True)
    s = bench_sensors(args.events, args.devices, args.pg_url)
    rows = [
        ("sensor events, MQTT → rule → alert in PostgreSQL",
         f"{s['rate']:,.0f} events/s", "≥ 2,000 events/s",
         f"{s['alerts']:,} alerts from {s['events']:,} events in {s['seconds']:.2f} s"),
        (f"matching {m['requests']:,} requests × {m['volunteers']:,} volunteers",
         f"{m['seconds']:.2f} s", "< 2 s", f"{m['matched']:,} requests matched (best of 3)"),
        ("  same, worst case: every volunteer reaches the whole city",
         f"{md['seconds']:.2f} s", "< 2 s", f"{md['matched']:,} requests matched (best of 3)"),
    ]
    widths = [max(len(r[i]) for r in [("benchmark", "result", "target", "detail"), *rows])
              for i in range(4)]
    line = " | ".join("{:<" + str(w) + "}" for w in widths)
    print(line.format("benchmark", "result", "target", "detail"))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line.format(*r))


if __name__ == "__main__":
    main()
