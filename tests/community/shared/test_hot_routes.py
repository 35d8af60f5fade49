"""The check-in and gate-scan routes (SubmissionRoute, see shared/lean.py) answer every
request as FastAPI's own handler answers it: the same successes and the same errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from httpx import Response

from rescity.community import api
from rescity.community.shared.lean import SubmissionRoute
from tests.community.conftest import World

OK_BODY = b'{"temperature_c": 36.5}'


def _not_a_dependency() -> None:  # pragma: no cover - never called
    pass


def _both(world: World, who: str, path: str, **kw: Any) -> tuple[Response, Response]:
    """The answer of the lean handler, then FastAPI's (another override makes the route
    hand every request to FastAPI)."""
    app: Any = world.client.app
    lean = world.call(who, "POST", path, **kw)
    app.dependency_overrides[_not_a_dependency] = _not_a_dependency
    try:
        full = world.call(who, "POST", path, **kw)
    finally:
        del app.dependency_overrides[_not_a_dependency]
    return lean, full


def _same(lean: Response, full: Response, *, ignore: tuple[str, ...] = ()) -> None:
    assert lean.status_code == full.status_code
    a, b = lean.json(), full.json()
    if isinstance(a, dict):
        for key in ignore:
            a.pop(key, None)
            b.pop(key, None)
    assert a == b
    for header in ("content-type", "www-authenticate", "idempotent-replayed"):
        assert lean.headers.get(header) == full.headers.get(header)


def test_both_hot_routes_use_the_submission_route() -> None:
    routes = {(r.path, tuple(r.methods)): r for r in api.router.routes if isinstance(r, APIRoute)}
    assert isinstance(routes[("/api/community/checkins", ("POST",))], SubmissionRoute)
    assert isinstance(routes[("/api/community/gate-events", ("POST",))], SubmissionRoute)


@pytest.mark.parametrize(
    ("who", "kw"),
    [
        ("anonymous", {"json": {"temperature_c": 36.5}}),
        ("alice", {"json": {"temperature_c": "hot"}}),
        ("alice", {"json": {}}),
        ("alice", {"json": [36.5]}),
        ("alice", {"json": {"temperature_c": 36.5, "symptoms": ["hiccups"]}}),
        ("alice", {"json": {"temperature_c": 36.5, "unexpected": 1}}),
        ("alice", {"json": {"temperature_c": 45.0}}),
        ("alice", {"json": {"temperature_c": 36.5, "resident_id": 999_999}}),
        ("dave", {"json": {"temperature_c": 36.5, "resident_id": -1}}),
        ("alice", {"content": b"{", "headers": {"Content-Type": "application/json"}}),
        ("alice", {"content": b"", "headers": {"Content-Type": "application/json"}}),
        ("alice", {"content": OK_BODY, "headers": {"Content-Type": "text/plain"}}),
        ("alice", {"content": OK_BODY}),
        ("alice", {"json": {"temperature_c": 36.5}, "headers": {"Idempotency-Key": "short"}}),
    ],
)
def test_check_in_errors_are_fastapis(world: World, who: str, kw: dict[str, Any]) -> None:
    _same(*_both(world, who, "/api/community/checkins", **kw))


def test_check_ins_and_their_replays_are_answered_alike(world: World) -> None:
    body = {"temperature_c": 38.4, "symptoms": ["cough"]}
    lean, full = _both(world, "alice", "/api/community/checkins", json=body)
    assert lean.status_code == full.status_code == 201
    assert lean.json()["id"] != full.json()["id"]
    _same(lean, full, ignore=("id",))
    for who in ("alice", "grid_a1"):
        key = {"Idempotency-Key": f"hot-route-replay-{who}"}
        first, replay = _both(world, who, "/api/community/checkins", headers=key,
                              json={"temperature_c": 36.6, "resident_id": world.ids["bob"]})
        assert first.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
        assert first.json() == replay.json()
        reused, reused_full = _both(world, who, "/api/community/checkins", headers=key,
                                    json={"temperature_c": 37.0, "resident_id": world.ids["bob"]})
        assert reused.status_code == 422
        _same(reused, reused_full)


def test_gate_scans_are_answered_alike(world: World) -> None:
    world.call("manager", "POST", "/api/community/gates",
               json={"community": "a", "code": "north", "name": "N"})
    token = world.call("alice", "GET", "/api/community/me/pass").json()["token"]
    path = "/api/community/gate-events"
    lean, full = _both(world, "manager", path,
                       json={"gate": "north", "direction": "in", "token": token})
    assert lean.status_code == full.status_code == 201 and lean.json()["admitted"]
    _same(lean, full, ignore=("id",))
    for who, body in [
        ("manager", {"gate": "south", "direction": "in", "token": token}),
        ("manager", {"gate": "north", "direction": "sideways", "token": token}),
        ("manager", {"gate": "north", "direction": "in"}),
        ("manager", {"gate": "north", "direction": "in", "token": "forged"}),
        ("alice", {"gate": "north", "direction": "in", "token": token}),
        ("anonymous", {"gate": "north", "direction": "in", "token": token}),
    ]:
        lean, full = _both(world, who, path, json=body)
        _same(lean, full, ignore=("id",))


def test_a_gate_created_after_a_scan_named_it_works_at_once(world: World) -> None:
    """Gates are cached by code (access.gate_in_cache), but an unknown code is not."""
    token = world.call("alice", "GET", "/api/community/me/pass").json()["token"]
    body = {"gate": "east", "direction": "in", "token": token}
    assert world.call("manager", "POST", "/api/community/gate-events", json=body).status_code == 404
    world.call("manager", "POST", "/api/community/gates",
               json={"community": "a", "code": "east", "name": "E"})
    first = world.call("manager", "POST", "/api/community/gate-events", json=body)
    assert first.status_code == 201 and first.json()["admitted"]
    assert world.runtime.gates_cache is not None and world.runtime.gates_cache.get(
        "east", world.clock()) is not None
    again = world.call("manager", "POST", "/api/community/gate-events", json=body)
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]


def test_on_postgresql_the_hot_routes_use_no_database_thread(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: the flows run on the event loop (asyncpg); SQLite: in a database thread."""

    def no_threads() -> None:
        raise LookupError("a database thread was asked for")

    monkeypatch.setattr("rescity.web.deps._blocking_executor", no_threads)
    ctx = world.client.app.state.ctx  # type: ignore[attr-defined]
    if world.engine.dialect.name == "postgresql":
        assert ctx.pg_flows is not None
        r = world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 36.6})
        assert r.status_code == 201, r.text
    else:
        assert ctx.pg_flows is None
        with pytest.raises(LookupError, match="database thread"):
            world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 36.6})


@pytest.mark.parametrize("body", [
    {"temperature_c": 36.5, "resident_id": 2**40},
    {"temperature_c": 36.5, "resident_id": 0},
    {"temperature_c": 36.5, "resident_id": -3},
])
def test_ids_outside_the_tables_range_are_refused_not_crashed_on(
    world: World, body: dict[str, Any],
) -> None:
    r = world.call("grid_a1", "POST", "/api/community/checkins", json=body)
    assert r.status_code == 422 and "resident_id" in r.text, r.text
    scan = world.call("manager", "POST", "/api/community/gate-events",
                      json={"gate": "north", "direction": "in", "visitor_id": 2**40})
    assert scan.status_code == 422 and "visitor_id" in scan.text, scan.text


def test_a_nul_character_is_refused_not_crashed_on(world: World) -> None:
    scan = world.call("manager", "POST", "/api/community/gate-events",
                      json={"gate": "no\u0000rth", "direction": "in", "visitor_id": 1})
    assert scan.status_code == 422 and "gate" in scan.text, scan.text
