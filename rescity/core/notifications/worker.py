"""The delivery worker: claims due deliveries with a lease, sends them, records the outcome.

Guarantees, with any number of workers on SQLite or PostgreSQL:

- Claiming is one ``UPDATE … WHERE id IN (SELECT … due, not leased … LIMIT n)`` (on
  PostgreSQL the inner select is ``FOR UPDATE SKIP LOCKED``), so two workers never hold the
  same row. A worker that dies leaves its rows leased until ``lease_until``; then any worker
  takes them over: nothing is lost.
- Before each send the worker re-takes its lease in a committed update (``status =
  'sending'``, only if the row is still leased to it), and records the outcome in another
  commit right after: a message already recorded as sent is never sent again.
- The one message a worker was sending when it died (status ``sending``, lease expired) is
  sent again — delivery is at least once for that message only, because whether the SMTP
  server or robot received it is unknown. E-mails keep their Message-ID across attempts, so
  mail software shows the copy as the same message; the delivery log marks such attempts.
- Failures are retried with exponential backoff (30 s, 1 min, 2 min … at most 1 h) up to
  ``notify_max_attempts``; errors that retrying cannot fix (no SMTP host, unknown robot)
  fail at once. Quiet hours postpone non-urgent deliveries without counting an attempt.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from rescity.core.config import Settings
from rescity.core.notifications.channels import DeliveryError, Message, send_email, send_webhook
from rescity.core.notifications.models import Delivery, Notification, Preference, Status
from rescity.core.notifications.outbox import EMAIL, WEBHOOK_PREFIX
from rescity.core.storage.db import utcnow

log = logging.getLogger(__name__)
BACKOFF_FIRST_S = 30
BACKOFF_MAX_S = 3600
UNKNOWN = "worker stopped while sending; outcome unknown, sent again"

Sender = Callable[[Settings, str, str, Message], None]


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: doubling from 30 s, capped at 1 h, ±10 %."""
    base = min(BACKOFF_FIRST_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)
    return timedelta(seconds=base * random.uniform(0.9, 1.1))  # noqa: S311 - jitter only


def quiet_until(pref: Preference | None, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The end of the recipient's quiet hours when ``now`` lies inside them, else None."""
    if pref is None or not pref.quiet_start or not pref.quiet_end:
        return None
    start_h, start_m = (int(x) for x in pref.quiet_start.split(":"))
    end_h, end_m = (int(x) for x in pref.quiet_end.split(":"))
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start == end:
        return None
    local = now.astimezone(zone)
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return None
    until = local.replace(hour=end_h, minute=end_m, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return until


def default_sender(settings: Settings, channel: str, email: str, message: Message) -> None:
    if channel == EMAIL:
        send_email(settings, email, message)
    elif channel.startswith(WEBHOOK_PREFIX):
        send_webhook(settings, channel[len(WEBHOOK_PREFIX):], message)
    else:
        raise DeliveryError(f"unknown channel '{channel}'", permanent=True)


class Worker:
    def __init__(self, settings: Settings, session_factory: Callable[[], Session], *,
                 batch: int = 20, pace_s: float = 0.0, sender: Sender = default_sender) -> None:
        self.settings = settings
        self.factory = session_factory
        self.batch = batch
        self.pace_s = pace_s
        self.sender = sender
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.zone = ZoneInfo(settings.community_timezone)

    def _lease(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.notify_lease_s)

    def claim(self, session: Session) -> str:
        """Lease up to ``batch`` due deliveries to a fresh token and commit; return it."""
        now = utcnow()
        token = f"{self.name}:{uuid.uuid4().hex[:8]}"[:64]
        free = or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)
        due = (select(Delivery.id)
               .where(Delivery.status.in_([Status.PENDING, Status.SENDING]),
                      Delivery.next_attempt_at <= now, free)
               .order_by(Delivery.next_attempt_at, Delivery.id).limit(self.batch))
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(due.scalar_subquery()), free)
            .values(lease_owner=token, lease_until=self._lease(now))
            .execution_options(synchronize_session=False))
        session.commit()
        return token

    def run_once(self) -> int:
        """Claim one batch and work through it; the number of deliveries handled."""
        with self.factory() as session:
            token = self.claim(session)
            rows = session.execute(
                select(Delivery.id, Delivery.channel, Delivery.status, Delivery.attempts,
                       Notification, Preference)
                .join(Notification, Notification.id == Delivery.notification_id)
                .outerjoin(Preference, Preference.user_id == Notification.recipient_user_id)
                .where(Delivery.lease_owner == token).order_by(Delivery.id)).all()
            session.commit()
            for i, row in enumerate(rows):
                if i and self.pace_s:
                    time.sleep(self.pace_s)
                self._deliver(session, token, *row)
        return len(rows)

    def _deliver(self, session: Session, token: str, delivery_id: int, channel: str,
                 status: str, attempts: int, note: Notification, pref: Preference | None
                 ) -> None:
        now = utcnow()
        mine = (Delivery.id == delivery_id, Delivery.lease_owner == token)
        quiet = None if note.urgent else quiet_until(pref, now, self.zone)
        if quiet is not None:
            session.execute(update(Delivery).where(*mine).values(
                status=Status.PENDING, next_attempt_at=quiet, lease_owner=None,
                lease_until=None))
            session.commit()
            return
        extra = {"last_error": UNKNOWN} if status == Status.SENDING else {}
        taken = session.execute(update(Delivery).where(*mine).values(
            status=Status.SENDING, lease_until=self._lease(now), **extra))
        session.commit()
        if not getattr(taken, "rowcount", 0):
            return  # the lease ran out and another worker holds the row now
        message = Message(delivery_id, note.subject, note.body, note.link, note.urgent)
        outcome: dict[str, Any]
        try:
            self.sender(self.settings, channel, pref.email if pref else "", message)
        except Exception as exc:  # any failure is recorded, and bounded by max attempts
            # (an unexpected error left unrecorded would resend the message on every lease)
            tries = attempts + 1
            permanent = isinstance(exc, DeliveryError) and exc.permanent
            give_up = permanent or tries >= self.settings.notify_max_attempts
            outcome = {"status": Status.FAILED if give_up else Status.PENDING,
                       "attempts": tries,
                       "last_error": (str(exc) if isinstance(exc, DeliveryError)
                                      else f"{type(exc).__name__}: {exc}")[:2000],
                       "next_attempt_at": utcnow() + backoff(tries)}
            log.warning("delivery %s (%s) failed: %s", delivery_id, channel, exc)
        else:
            outcome = {"status": Status.SENT, "attempts": attempts + 1, "sent_at": utcnow()}
        session.execute(update(Delivery).where(*mine).values(
            lease_owner=None, lease_until=None, **outcome))
        session.commit()

    def run(self, stop: threading.Event | None = None, *, idle_s: float = 1.0) -> None:
        """Work until ``stop`` is set; sleep ``idle_s`` when nothing is due."""
        stop = stop or threading.Event()
        log.info("notification worker %s started", self.name)
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:
                log.exception("notification worker: batch failed, retrying")
                handled = 0
            if not handled:
                stop.wait(idle_s)
