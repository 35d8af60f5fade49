"""A new alert puts exactly one notification for its grid worker in the outbox, in the
alert's own transaction (through the flow and the session helper); control status changes
and low stock reach the grid worker the same way. Tested in this folder's small city, on
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rescity.community.alerts import raising
from rescity.community.alerts.domain import Severity
from rescity.community.alerts.services import raise_alert
from rescity.community.control.notify import notify_grid_worker
from rescity.core.notifications import Notification
from tests.community.casework import World


def outbox(w: World) -> list[Notification]:
    with w.session_factory() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def test_a_new_alert_tells_its_grid_worker_once_in_the_alerts_transaction(world: World) -> None:
    w = world
    a1 = w.places["a1"].path
    with w.uow() as uow:
        raise_alert(uow.session, kind="fever", scope=a1, severity=Severity.HIGH,
                    source="checkin", now=w.clock.now, dedup_key="fever:1")
        uow.session.rollback()  # the event fails: no alert, no notification
    assert outbox(w) == []
    for _ in range(2):  # a retried event finds its alert and notifies nobody twice
        with w.uow() as uow:
            alert = raise_alert(uow.session, kind="fever", scope=a1, severity=Severity.HIGH,
                                source="checkin", now=w.clock.now, dedup_key="fever:1")
            uow.commit()
    [note] = outbox(w)
    assert note.recipient_user_id == w.users["grid"]
    assert (note.kind, note.urgent, note.link) == ("alert.new", True, "/community/alerts")
    assert note.subject == "New alert: Fever"  # the grid worker's language is English
    assert f"#{alert.id}" in note.body and "high" in note.body
    assert note.dedupe_key == f"alert:{alert.id}"


def test_routine_alerts_are_not_urgent_and_unassigned_ones_tell_nobody(world: World) -> None:
    w = world
    with w.uow() as uow:
        raising.raise_alert(uow.session, kind="help_unmatched", scope=w.places["a2"].path,
                            severity="medium", source="help", now=w.clock.now, dedup_key="h:1")
        raising.raise_alert(uow.session, kind="help_unmatched", scope=w.places["b1"].path,
                            severity="medium", source="help", now=w.clock.now, dedup_key="h:2")
        uow.commit()
    [note] = outbox(w)  # community b has no grid worker
    assert note.recipient_user_id == w.users["grid"] and note.urgent is False
    assert note.subject == "New alert: Help request without a volunteer"


def test_control_and_low_stock_reach_the_grid_worker_through_notify_grid_worker(
    world: World,
) -> None:
    w = world
    kw: dict[str, Any] = {"scope": w.places["a1"].path, "now": w.clock.now, "detail": {}}
    with w.uow() as uow:
        notify_grid_worker(uow.session, kind="control_status", source="control",
                           dedup_key="control:1", **kw)
        notify_grid_worker(uow.session, kind="low_stock", source="supplies",
                           dedup_key="stock:1", **kw)
        notify_grid_worker(uow.session, kind="low_stock", source="supplies",
                           dedup_key="stock:1", **kw)  # the same item again: one alert
        uow.commit()
    notes = outbox(w)
    assert [n.subject for n in notes] == ["New alert: Building control status changed",
                                         "New alert: Supplies: low stock"]
    assert {n.recipient_user_id for n in notes} == {w.users["grid"]}
