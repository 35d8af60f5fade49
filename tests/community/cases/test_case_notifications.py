"""Cases tell people in the step's own transaction: the handler's members when a case is
dispatched to them, the reporter when its status changes, the grid worker when it escalates;
one outbox row per event and recipient, none for a step that fails; SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from rescity.core.notifications import Notification
from tests.community.cases.test_cases_api import file, post
from tests.community.casework import World


def outbox(w: World) -> list[tuple[int, str, str, str | None]]:
    with w.session_factory() as s:
        return [(n.recipient_user_id, n.kind, n.subject, n.link) for n in s.scalars(
            select(Notification).order_by(Notification.id))]


def test_dispatch_status_changes_and_escalation_each_notify_the_right_person_once(
    world: World,
) -> None:
    w = world
    cid = file(w)["id"]  # a resident's report, auto-dispatched to pm-a
    link = f"/community/cases/{cid}"
    assert outbox(w) == [
        (w.users["pma"], "case.dispatched", f"Case #{cid} dispatched to you", link),
        (w.users["res"], "case.status", f"Your case #{cid}: dispatched to a handler", link)]
    assert post(w, "pma", cid, "accept").status_code == 200
    assert post(w, "pma", cid, "accept").status_code == 409  # a failed step tells nobody
    assert outbox(w)[2:] == [
        (w.users["res"], "case.status", f"Your case #{cid}: being handled", link)]
    moved = post(w, "pma", cid, "refer", reason="city road", handler="dept-d")
    assert moved.status_code == 200, moved.text
    assert outbox(w)[3:] == [
        (w.users["dept"], "case.dispatched", f"Case #{cid} dispatched to you", link),
        (w.users["res"], "case.status", f"Your case #{cid}: dispatched to a handler", link)]


def test_an_overdue_case_tells_the_grid_worker_once_per_level(world: World) -> None:
    w = world
    file(w, service_code="emergency_repair", attributes={"people_trapped": "yes"})
    before = len(outbox(w))
    w.clock.advance(hours=2, minutes=1)
    for _ in range(2):  # the sweep run twice escalates (and notifies) once
        w.client.post("/api/community/case-sweep", headers=w.h["admin"])
    [note] = outbox(w)[before:]
    assert note[:2] == (w.users["grid"], "alert.new")
    assert note[2] == "New alert: Work order overdue"
