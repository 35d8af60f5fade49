"""Deliveries are due on the wall clock: an event stamped in the future (``rescity cases sweep
--at`` rehearsing an escalation two hours ahead) is e-mailed now, not two hours later — on
SQLite and PostgreSQL. Found driving the office day (tests/browser/test_office_day.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from rescity.core.accounts import create_user
from rescity.core.config import load_settings
from rescity.core.notifications import Delivery, Notification, Status
from rescity.core.notifications.outbox import PreferenceInput, notified, set_preference
from rescity.core.notifications.worker import Worker
from rescity.core.storage.db import utcnow
from rescity.core.storage.flows import run_flow
from tests.core.receivers import smtp_server


def test_an_event_stamped_ahead_is_sent_now(tmp_path: Path, db_url: str,
                                             session_factory: sessionmaker[Any]) -> None:
    with session_factory() as session:
        user = create_user(session, username="grid.rehearsal", password="long-enough-pw")
        set_preference(session, user.id, PreferenceInput(email="g@office.example",
                                                         email_enabled=True),
                       known_webhooks=set())
        ahead = utcnow() + timedelta(hours=2, minutes=5)
        run_flow(session, notified(recipient_user_id=user.id, kind="alert.new",
                                   subject="新预警：工单逾期", body="b", now=ahead))
        session.commit()
    with smtp_server() as (port, box):
        settings = load_settings(environment="test", data_dir=tmp_path / "data",
                                 database_url=db_url, secret_key="test-secret-" + "x" * 32,
                                 notify_smtp_host="127.0.0.1", notify_smtp_port=port)
        assert Worker(settings, session_factory).run_once() == 1
    assert [m["Subject"] for m in box.messages] == ["新预警：工单逾期"]
    with session_factory() as session:
        [note] = session.scalars(select(Notification)).all()
        [row] = session.scalars(select(Delivery)).all()
        assert abs(note.created_at - ahead) < timedelta(seconds=1)  # the event keeps its time
        assert row.status == Status.SENT and row.next_attempt_at < ahead
