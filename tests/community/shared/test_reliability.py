"""Idempotent submissions and optimistic concurrency."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from rescity.community.access.adapters import GateEvent
from rescity.community.alerts.adapters import Alert
from rescity.community.health.adapters import CheckIn
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World


def _count(world: World, table: type) -> int:
    with UnitOfWork(world.factory) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_retried_check_in_is_stored_once_and_answered_the_same(world: World) -> None:
    key = {"Idempotency-Key": "phone-7f3a-0001"}
    body = {"temperature_c": 38.1, "symptoms": ["cough"]}
    first = world.call("alice", "POST", "/api/community/checkins", json=body, headers=key)
    second = world.call("alice", "POST", "/api/community/checkins", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count(world, CheckIn) == 1 and _count(world, Alert) == 2


def test_reusing_a_key_for_a_different_submission_is_refused(world: World) -> None:
    key = {"Idempotency-Key": "phone-7f3a-0002"}
    world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 36.5},
               headers=key)
    other = world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 39.5},
                       headers=key)
    assert other.status_code == 422 and "Idempotency-Key" in other.text
    assert _count(world, CheckIn) == 1


def test_keys_belong_to_their_sender(world: World) -> None:
    key = {"Idempotency-Key": "same-key-on-two-phones"}
    a = world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 36.5},
                   headers=key)
    c = world.call("carol", "POST", "/api/community/checkins", json={"temperature_c": 36.5},
                   headers=key)
    assert a.status_code == c.status_code == 201 and a.json()["id"] != c.json()["id"]


def test_a_bad_key_is_refused(world: World) -> None:
    r = world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 36.5},
                   headers={"Idempotency-Key": "short"})
    assert r.status_code == 422


def test_duplicate_gate_scans_from_a_flaky_network_make_one_event(world: World) -> None:
    world.call("manager", "POST", "/api/community/gates",
               json={"community": "a", "code": "north", "name": "N"})
    token = world.call("alice", "GET", "/api/community/me/pass").json()["token"]
    body = {"gate": "north", "direction": "in", "token": token}
    key = {"Idempotency-Key": "gate-north-000123"}
    answers = [world.call("manager", "POST", "/api/community/gate-events", json=body,
                          headers=key).json() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert _count(world, GateEvent) == 1


def test_concurrent_duplicates_store_one_check_in(world: World) -> None:
    """Several copies of one submission at once (a phone re-sending on a flaky link)."""
    key = {"Idempotency-Key": "phone-race-000001"}
    results: list[int] = []

    def send() -> None:
        r = world.call("alice", "POST", "/api/community/checkins",
                       json={"temperature_c": 36.7}, headers=key)
        results.append(r.status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _count(world, CheckIn) == 1
    assert set(results) <= {201, 409}  # 409: "in progress, retry" for a racing copy
    assert 201 in results


def test_updates_need_the_current_etag(world: World) -> None:
    path = f"/api/community/residents/{world.ids['alice']}"
    read = world.call("grid_a1", "GET", path)
    etag = read.headers["ETag"]
    assert etag == '"1"'
    blind = world.call("grid_a1", "PATCH", path, json={"birth_year": 1989})
    assert blind.status_code == 428
    ok = world.call("alice", "PATCH", path, json={"birth_year": 1989}, headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = world.call("grid_a1", "PATCH", path, json={"name": "Alicia"},
                       headers={"If-Match": etag})
    assert stale.status_code == 412
    assert world.call("grid_a1", "GET", path).json()["name"] == "Alice Test"
    cleared = world.call("grid_a1", "PATCH", path, json={"phone": None},
                         headers={"If-Match": '"2"'})
    assert cleared.json()["phone"] is None


def test_alert_updates_honour_if_match(world: World) -> None:
    world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 39.0})
    alert = world.call("grid_a1", "GET", "/api/community/alerts").json()[0]
    path = f"/api/community/alerts/{alert['id']}"
    etag = world.call("grid_a1", "GET", path).headers["ETag"]
    world.call("health", "POST", path + "/acknowledge", headers={"If-Match": etag})
    late = world.call("grid_a1", "POST", path + "/resolve", headers={"If-Match": etag})
    assert late.status_code == 412


def test_racing_fevers_of_one_person_make_one_alert_and_no_server_error(world: World) -> None:
    results: list[int] = []

    def send(i: int) -> None:
        r = world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 38.5},
                       headers={"Idempotency-Key": f"phone-fever-{i:06d}"})
        results.append(r.status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results) <= {201, 409} and 201 in results
    assert _count(world, Alert) == 1
    assert _count(world, CheckIn) == results.count(201)
