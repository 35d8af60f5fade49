"""A fever check-in (the hot path: a flow, on asyncpg with PostgreSQL) tells the grid worker
once, in the check-in's transaction; a second fever that day raises no second alert and no
second notification."""

from __future__ import annotations

from sqlalchemy import select

from rescity.core.notifications import Notification
from tests.community.conftest import World


def test_a_fever_check_in_notifies_the_grid_worker_once(world: World) -> None:
    for t in (38.0, 38.4):
        r = world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": t})
        assert r.status_code in (200, 201), r.text
    [alert] = world.call("grid_a1", "GET", "/api/community/alerts").json()
    with world.factory() as s:
        notes = list(s.scalars(select(Notification)))
    assert [(n.recipient_user_id, n.kind, n.dedupe_key) for n in notes] == [
        (world.ids["user_grid_a1"], "alert.new", f"alert:{alert['id']}")]
    assert notes[0].subject == "New alert: Fever" and notes[0].link == "/community/alerts"
