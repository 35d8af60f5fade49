"""A handler's supervisor (a member linked with ``supervises``) hears of each escalation of
the handler's cases past the first level, once per level, even when the sweep runs twice;
plain members do not. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from rescity.community.cases.adapters import Handler
from rescity.community.cases.handlers import supervisors
from rescity.core.notifications import Notification
from tests.community.cases.test_cases_api import file
from tests.community.casework import World


def escalations(w: World) -> list[tuple[int, str]]:
    with w.session_factory() as s:
        return [(n.recipient_user_id, n.subject) for n in s.scalars(
            select(Notification).where(Notification.kind == "case.escalated")
            .order_by(Notification.id))]


def test_the_supervisor_hears_of_escalations_past_the_first_level(world: World) -> None:
    w = world
    linked = w.client.post("/api/community/handlers/pm-a/members", headers=w.h["admin"],
                           json={"username": "res2", "supervises": True})
    assert linked.status_code == 201, linked.text
    again = w.client.post("/api/community/handlers/pm-a/members", headers=w.h["admin"],
                          json={"username": "res2", "supervises": True})
    assert again.status_code == 409
    cid = file(w)["id"]  # dispatched to pm-a
    case = w.client.get(f"/api/community/cases/{cid}", headers=w.h["res"]).json()
    assert case["handler"]["code"] == "pm-a"
    w.clock.advance(days=60)  # far past the deadline: the highest level at once
    for _ in range(2):
        w.client.post("/api/community/case-sweep", headers=w.h["admin"])
    level = w.client.get(f"/api/community/cases/{cid}", headers=w.h["grid"]).json()[
        "escalation_level"]
    assert level >= 2
    got = escalations(w)
    assert got == [(w.users["res2"], f"Case #{cid} escalated to level {n}")
                   for n in range(2, level + 1)]
    assert all(uid != w.users["pma"] for uid, _ in got)  # a plain member is not told


def test_a_member_becomes_supervisor_by_linking_again(world: World) -> None:
    w = world
    r = w.client.post("/api/community/handlers/pm-a/members", headers=w.h["admin"],
                      json={"username": "pma", "supervises": True})
    assert r.status_code == 201, r.text
    with w.session_factory() as s:
        handler_id = s.scalar(select(Handler.id).where(Handler.code == "pm-a"))
        assert handler_id is not None
        assert supervisors(s, handler_id) == [w.users["pma"]]
