"""Nothing acknowledged is lost when the server is killed.

uvicorn runs `rescity serve` as a subprocess on PostgreSQL; this process loads it over
loopback with check-ins (each with an idempotency key) from several threads, `kill -9`s the
server in the middle of the load, restarts it, and checks that every check-in that was
answered 201 is in the database — and that re-sending every key after the restart creates
no duplicates. Bounded: at most 3000 requests or 20 seconds of load.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rescity.community.health.adapters import CheckIn
from rescity.community.shared.runtime import Runtime
from rescity.core.config import load_settings
from rescity.core.security.personal_data import new_key_spec
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from tests.community.conftest import _build, _one_hash
from tests.live import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[3]
MAX_REQUESTS, MAX_SECONDS, KILL_AFTER_ACKS = 3000, 20.0, 100


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "rescity", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def test_every_acknowledged_check_in_survives_kill_9(
    pg_server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rescity.core.accounts.hash_password", lambda _p: _one_hash())
    engine = make_engine(pg_server_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    migrate.upgrade(engine)
    keys = new_key_spec("k1")
    settings = load_settings(environment="test", database_url=pg_server_url, data_keys=keys,
                             secret_key="crash-test-" + "x" * 32, data_dir=tmp_path)
    tokens, ids = _build(make_session_factory(engine), Runtime.create(settings))
    env = {**os.environ, "RESCITY_DATABASE_URL": pg_server_url, "RESCITY_DATA_KEYS": keys,
           "RESCITY_SECRET_KEY": settings.secret_key, "RESCITY_ENVIRONMENT": "test",
           "RESCITY_DATA_DIR": str(tmp_path)}
    env.pop("RESCITY_CONFIG", None)
    port = free_port()
    server = _start(env, port)
    base = f"http://127.0.0.1:{port}"
    acked: dict[str, int] = {}  # idempotency key -> check-in id answered with 201
    sent: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()
    counter = iter(range(MAX_REQUESTS))
    stop_at = [time.monotonic() + MAX_SECONDS]
    residents = [ids["alice"], ids["bob"], ids["carol"]]
    headers = {"Authorization": f"Bearer {tokens['grid_a1']}"}

    def load() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=2) as client:
            for n in counter:
                if time.monotonic() > stop_at[0]:
                    return
                key = f"crash-{n:06d}"
                body = {"temperature_c": 36.0 + (n % 20) / 10, "resident_id": residents[n % 3]}
                with lock:
                    sent.append((key, body))
                try:
                    r = client.post("/api/community/checkins", json=body,
                                    headers={"Idempotency-Key": key})
                except httpx.HTTPError:
                    time.sleep(0.05)  # server gone: keep trying until the bound
                    continue
                if r.status_code == 201:
                    with lock:
                        acked[key] = r.json()["id"]

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    # Kill in the middle of the load: once some writes are acknowledged (however busy the
    # machine is), and while the loaders are still sending.
    deadline = time.monotonic() + MAX_SECONDS / 2
    while len(acked) < KILL_AFTER_ACKS and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    acked_at_kill = len(acked)
    stop_at[0] = time.monotonic() + 0.5  # a few requests hit the dead server, then stop
    for t in threads:
        t.join(timeout=MAX_SECONDS + 5)
    assert acked_at_kill >= 20, "the load did not get going before the kill"
    assert len(sent) > acked_at_kill, "the kill came after the load, not during it"

    server = _start(env, port)  # restart on the same database
    try:
        factory = make_session_factory(engine)
        with factory() as session:
            stored = set(session.scalars(select(CheckIn.id)))
        missing = [k for k, cid in acked.items() if cid not in stored]
        assert missing == [], f"{len(missing)} acknowledged check-ins were lost"
        # Re-send everything (as phones with a queue would): acknowledged keys replay the
        # same answer, and nothing is stored twice.
        with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
            for key, body in sent:
                r = client.post("/api/community/checkins", json=body,
                                headers={"Idempotency-Key": key})
                assert r.status_code == 201
                if key in acked:
                    assert r.json()["id"] == acked[key]
        with factory() as session:
            total = session.scalar(select(func.count()).select_from(CheckIn))
        assert total == len({k for k, _ in sent})
    finally:
        server.kill()
        server.wait(timeout=10)
        engine.dispose()
