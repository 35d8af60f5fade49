"""A delivery worker killed (SIGKILL) in the middle of a batch: its claimed deliveries are
taken over by the next worker once the lease runs out; every message arrives exactly once.

The kill happens while the worker waits between two sends (``--pace``), after the database
shows its third delivery recorded: the one moment whose outcome is unknowable — between the
receiver accepting a message and the worker's commit — is covered by a test of its own in
test_notifications.py (sent again, same Message-ID).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from rescity.core.notifications import Delivery, notify
from tests.core.receivers import robot_receiver
from tests.core.test_notifications import add_user

MESSAGES = 12
LEASE_S = 3


def _worker(db_url: str, tmp_path: Path, robot_url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RESCITY_DATABASE_URL": db_url, "RESCITY_ENVIRONMENT": "test",
           "RESCITY_SECRET_KEY": "test-secret-" + "x" * 32,
           "XDG_DATA_HOME": str(tmp_path),
           "RESCITY_NOTIFY_LEASE_S": str(LEASE_S),
           "RESCITY_NOTIFY_WEBHOOKS": json.dumps(
               {"office": {"kind": "wecom", "url": robot_url + "/hook"}})}
    env.pop("RESCITY_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "rescity", "notifications", "worker", "--batch", "10", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _count(factory: sessionmaker[Any], *where: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(Delivery).where(*where))
                   or 0)


def _wait(factory: sessionmaker[Any], sent: int, proc: subprocess.Popen[str],
          timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while _count(factory, Delivery.status == "sent") < sent:
        if proc.poll() is not None:
            raise AssertionError(f"worker exited: {proc.stdout.read() if proc.stdout else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {sent} deliveries sent in {timeout} s")
        time.sleep(0.02)


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Any]
) -> None:
    uid = add_user(session_factory, "duty", webhooks=("office",))
    with session_factory() as session:
        for i in range(MESSAGES):
            notify(session, recipient_user_id=uid, kind="k", subject=f"msg-{i:02d}", body="")
        session.commit()
    with robot_receiver() as robot:
        first = _worker(db_url, tmp_path, robot.url, "--pace", "1.5")
        try:
            _wait(session_factory, 3, first)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        sent_before = _count(session_factory, Delivery.status == "sent")
        orphaned = _count(session_factory, Delivery.status == "pending",
                          Delivery.lease_owner.is_not(None))
        assert 3 <= sent_before < 10 and orphaned == 10 - sent_before  # killed mid-batch
        assert len(robot.posts) == sent_before

        second = _worker(db_url, tmp_path, robot.url, "--idle", "0.2")
        try:
            _wait(session_factory, MESSAGES, second)
        finally:
            second.send_signal(signal.SIGTERM)  # a clean stop after the current message
            assert second.wait(20) == 0
        texts = robot.texts()
    assert Counter(texts) == {f"msg-{i:02d}": 1 for i in range(MESSAGES)}
    assert _count(session_factory, Delivery.status == "sent") == MESSAGES
    assert _count(session_factory, Delivery.lease_owner.is_not(None)) == 0
