"""Load benchmark: check-ins and gate scans through the real HTTP server on PostgreSQL.

Loopback only, bounded in count and time, stops by itself. For each run it creates a
throwaway PostgreSQL database, seeds synthetic residents, passes and a gate, starts the server
(uvicorn with the real app, ``--workers`` processes) as a subprocess, then sends an
open-loop load at a fixed rate (requests leave on schedule whatever the answers, so slow
answers are not hidden by a waiting client), half check-ins and half gate scans, each with
its own idempotency key.
It prints a table of latencies and drops the database.

    .venv/bin/python bench/community_load.py --rate 300 --seconds 20 --runs 3 --compare-threads

Target (issue #5): p99 < 50 ms at 300 requests/s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from rescity.community.access import services as access
from rescity.community.access.adapters import Gate
from rescity.community.residents.domain import Channel
from rescity.community.residents.households import ensure_dwelling, new_household
from rescity.community.residents.services import NewResident, build_resident
from rescity.community.shared.runtime import Runtime
from rescity.core.accounts import create_user, grant_role, issue_api_token, principal_of
from rescity.core.config import load_settings
from rescity.core.places import PlaceLevel, add_place
from rescity.core.security.personal_data import new_key_spec
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork

ADMIN_URL = os.environ.get(
    "RESCITY_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Seeded:
    grid_token: str
    guard_token: str
    resident_ids: list[int]
    pass_tokens: list[str]


def seed(url: str, runtime: Runtime, residents: int, passes_for: int = 500) -> Seeded:
    factory = make_session_factory(make_engine(url))
    with UnitOfWork(factory) as uow:
        s = uow.session
        city = add_place(s, level=PlaceLevel.CITY, code="c", name_zh="城")
        dist = add_place(s, level=PlaceLevel.DISTRICT, code="d", name_zh="区", parent=city)
        sub = add_place(s, level=PlaceLevel.SUBDISTRICT, code="s", name_zh="街道", parent=dist)
        comm = add_place(s, level=PlaceLevel.COMMUNITY, code="a", name_zh="社区", parent=sub)
        grid = add_place(s, level=PlaceLevel.GRID, code="a1", name_zh="网格", parent=comm)
        worker = create_user(s, username="grid", password=secrets.token_urlsafe(12))
        grant_role(s, worker, "grid_worker", grid)
        guard = create_user(s, username="guard", password=secrets.token_urlsafe(12))
        grant_role(s, guard, "property_manager", comm)
        s.add(Gate(community_id=comm.id, scope=comm.path, code="north", name="North"))
        ids = []
        for i in range(residents):
            h = new_household(s, ensure_dwelling(s, grid, str(i // 20), "", str(i)))
            r = build_resident(s, runtime, h, NewResident(name=f"Synthetic {i}",
                               phone=f"1990000{i:04d}"), channel=Channel.GRID_WORKER, by=None)
            ids.append(r.id)
        grid_token = issue_api_token(s, worker)
        guard_token = issue_api_token(s, guard)
        admin_principal = principal_of(worker)
        uow.commit()
    # Raise the frequent-access threshold: at 150 scans a second the gate sees each resident
    # every few seconds, which would otherwise raise an alert for everyone.
    with UnitOfWork(factory) as uow:
        from rescity.community.alerts.adapters import AlertRule

        uow.session.add(AlertRule(place_id=comm.id, scope=comm.path, kind="frequent_access",
                                  values={"max_passages": 1000}))
        uow.commit()
    passes = []
    for rid in ids[:passes_for]:
        with UnitOfWork(factory) as uow:
            passes.append(access.issue_pass(uow, runtime, admin_principal, rid).token)
    return Seeded(grid_token, guard_token, ids, passes)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"checkin": [], "scan": []})
    errors: dict[str, int] = field(default_factory=lambda: {"checkin": 0, "scan": 0})
    late_starts: int = 0


class Connection:
    """A minimal keep-alive HTTP/1.1 client connection: the load generator must stay cheap,
    or on a 2-core machine it takes the CPU the server under test needs (httpx costs ~1 ms
    of CPU per request; this costs a tenth of that)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, host: str, path: str, body: bytes, headers: dict[str, str]) -> int:
        head = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json",
                f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def run_load(base: str, seeded: Seeded, rate: float, seconds: float,
                   max_requests: int) -> tuple[Stats, float]:
    stats = Stats()
    total = min(int(rate * seconds), max_requests)
    host, port = base.removeprefix("http://").split(":")
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(Connection(*await asyncio.open_connection(host, int(port))))

    async def one(n: int) -> None:
        kind = "checkin" if n % 2 == 0 else "scan"
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        if kind == "checkin":
            path = "/api/community/checkins"
            body = json.dumps({"temperature_c": 36.5, "resident_id":
                               seeded.resident_ids[n % len(seeded.resident_ids)]})
            headers["Authorization"] = f"Bearer {seeded.grid_token}"
        else:
            path = "/api/community/gate-events"
            body = json.dumps({"gate": "north", "direction": "in" if n % 4 == 1 else "out",
                               "token": seeded.pass_tokens[n % len(seeded.pass_tokens)]})
            headers["Authorization"] = f"Bearer {seeded.guard_token}"
        t0 = time.perf_counter()
        conn = await pool.get()
        try:
            status = await conn.post(host, path, body.encode(), headers)
            pool.put_nowait(conn)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            status = 0
            pool.put_nowait(Connection(*await asyncio.open_connection(host, int(port))))
        elapsed = (time.perf_counter() - t0) * 1000
        if status == 201:
            stats.latencies[kind].append(elapsed)
        else:
            stats.errors[kind] += 1

    start = time.perf_counter()
    tasks = []
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.005:
            stats.late_starts += 1
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().writer.close()
    return stats, wall


def _processes() -> Iterator[tuple[int, list[str], bytes]]:
    """(pid, fields of /proc/PID/stat after the name, command line) of every process."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ") + b" "
        except OSError:
            continue
        yield int(entry), fields, cmdline


def _cpu(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(root_pid: int) -> float:
    """User+system CPU of a process and its direct children (uvicorn's workers), from /proc."""
    return sum(_cpu(f) for pid, f, _ in _processes() if root_pid in (pid, int(f[1])))


def backend_cpu_seconds(database: str) -> float:
    """User+system CPU of the PostgreSQL backends connected to ``database`` (same machine),
    from /proc; the server's shared processes (WAL writer, checkpointer) are not counted."""
    name = f" {database} ".encode()
    return sum(_cpu(f) for _, f, cmdline in _processes() if name in cmdline)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class Measured:
    """One measured window against one server."""

    setting: str
    rate: float
    stats: Stats
    wall: float
    server_cpu_s: float
    db_cpu_s: float
    client_cpu_s: float

    @property
    def everything(self) -> list[float]:
        return [x for values in self.stats.latencies.values() for x in values]

    def per_request_ms(self, seconds: float) -> float:
        return seconds / max(1, len(self.everything)) * 1000


def table(runs: list[Measured]) -> str:
    load1, load5, _ = os.getloadavg()
    lines = [
        f"machine: {os.cpu_count()} CPUs, load average {load1:.1f} (1 min) / {load5:.1f} (5 min)"
        " at the end (other processes share these CPUs)",
        "",
        "| database path | offered | achieved | errors | late sends | p50 ms | p95 ms | p99 ms "
        "| max ms | server CPU/req | PostgreSQL CPU/req | load generator CPU/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        every = run.everything
        lines.append(
            f"| {run.setting} | {run.rate:.0f} req/s | {len(every) / run.wall:.0f} req/s | "
            f"{sum(run.stats.errors.values())} | {run.stats.late_starts} | "
            f"{pct(every, 50):.1f} | {pct(every, 95):.1f} | {pct(every, 99):.1f} | "
            f"{max(every, default=0):.1f} | {run.per_request_ms(run.server_cpu_s):.2f} ms | "
            f"{run.per_request_ms(run.db_cpu_s):.2f} ms | "
            f"{run.per_request_ms(run.client_cpu_s):.2f} ms |")
    lines.append("")
    lines.append("p99 by request kind: " + "; ".join(
        f"{run.setting} run {i + 1}: " + ", ".join(
            f"{kind} {pct(values, 99):.1f} ms" for kind, values in run.stats.latencies.items())
        for i, run in enumerate(runs)))
    return "\n".join(lines)


SETTINGS = {
    # RESCITY_DATABASE_ASYNC: the flows on the event loop (asyncpg) or in the thread pool
    "event loop (asyncpg)": "true",
    "thread pool (psycopg)": "false",
}


def measure(url: str, name: str, settings: Any, seeded: Seeded, setting: str,
            args: argparse.Namespace) -> Measured:
    """Start the server with one database path, warm it up, measure one window."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RESCITY_DATABASE_URL": url, "RESCITY_DATA_KEYS": settings.data_keys,
           "RESCITY_SECRET_KEY": settings.secret_key, "RESCITY_ENVIRONMENT": "test",
           "RESCITY_DATA_DIR": str(settings.data_dir), "RESCITY_LOG_LEVEL": "WARNING",
           "RESCITY_DATABASE_ASYNC": SETTINGS[setting]}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "bench.community_load:app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log", "--workers", str(args.workers), "--loop", args.loop,
         "--http", args.http],
        env=env, cwd=REPO)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        if args.warmup:
            asyncio.run(run_load(base, seeded, args.rate, args.warmup, args.max_requests))
        cpu0, db0, me0 = cpu_seconds(server.pid), backend_cpu_seconds(name), time.process_time()
        stats, wall = asyncio.run(
            run_load(base, seeded, args.rate, min(args.seconds, 120), args.max_requests))
        return Measured(setting, args.rate, stats, wall, cpu_seconds(server.pid) - cpu0,
                        backend_cpu_seconds(name) - db0, time.process_time() - me0)
    finally:
        server.terminate()
        server.wait(timeout=10)


def one_run(setting: str, args: argparse.Namespace) -> Measured:
    """A fresh database (migrated, seeded), a fresh server, one measured window: every run
    and every setting starts from the same state."""
    name = f"rescity_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        keys = new_key_spec("k1")
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(environment="test", database_url=url, data_keys=keys,
                                     secret_key="bench-" + secrets.token_urlsafe(32),
                                     data_dir=tmp)
            seeded = seed(url, Runtime.create(settings), args.residents,
                          min(args.passes, args.residents))
            return measure(url, name, settings, seeded, setting, args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                " AND usename = current_user AND pid <> pg_backend_pid()"),
                {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20, help="duration (max 120)")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs per setting, each on a fresh database and server")
    parser.add_argument("--max-requests", type=int, default=40_000)
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument("--passes", type=int, default=500,
                        help="residents with a pass that the gate scans (at most --residents)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up load")
    parser.add_argument("--workers", type=int, default=1,
                        help="uvicorn worker processes (1: as `rescity serve` runs)")
    parser.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"],
                        help="uvicorn event loop (auto: uvloop when installed)")
    parser.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"],
                        help="uvicorn HTTP parser (auto: httptools when installed)")
    parser.add_argument("--compare-threads", action="store_true",
                        help="also measure the thread-pool path (RESCITY_DATABASE_ASYNC=false)")
    args = parser.parse_args()
    settings = list(SETTINGS)[: 2 if args.compare_threads else 1]
    runs = [one_run(setting, args) for _ in range(max(1, args.runs)) for setting in settings]
    runs.sort(key=lambda r: list(SETTINGS).index(r.setting))
    print(table(runs))
    if args.compare_threads:
        mine, peer = ([r for r in runs if r.setting == s] for s in SETTINGS)
        ratio = (statistics.fmean(r.per_request_ms(r.server_cpu_s) for r in peer)
                 / statistics.fmean(r.per_request_ms(r.server_cpu_s) for r in mine))
        print(f"\nserver CPU per request, thread pool / event loop: {ratio:.2f}x")


def app() -> object:
    """ASGI factory for uvicorn: the real app, settings from RESCITY_* variables, served as
    ``rescity serve`` serves it (the start-up heap frozen, see rescity.cli.admin.serve)."""
    import gc

    from rescity.web.app import create_app

    created = create_app(load_settings())
    gc.freeze()
    return created


if __name__ == "__main__":
    main()
