"""Writing notifications into the outbox, reading them back, and users' preferences.

:func:`notify` writes through the caller's session and never commits: the notification is
stored in the same transaction as the event it reports, or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, exists, select, update
from sqlalchemy.orm import Session

from rescity.core.errors import InputError, Problem
from rescity.core.notifications.models import Delivery, Notification, Preference
from rescity.core.storage.db import utcnow
from rescity.core.storage.flows import Flow, One, Run, Scalar, insert_all

EMAIL = "email"
WEBHOOK_PREFIX = "webhook:"
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# Fields a preference problem can name (catalog keys "notify.problem.<field>").
PREFERENCE_FIELDS = ("email", "webhooks", "quiet_start", "quiet_end")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def channels_for(pref: Preference | None) -> list[str]:
    """The delivery channels a preference asks for, besides in-app (always on)."""
    if pref is None:
        return []
    found = [EMAIL] if pref.email_enabled and pref.email else []
    return found + [WEBHOOK_PREFIX + name for name in sorted(set(pref.webhooks or []))]


def notify(
    session: Session,
    *,
    recipient_user_id: int,
    kind: str,
    subject: str,
    body: str,
    urgent: bool = False,
    link: str | None = None,
    dedupe_key: str | None = None,
) -> Notification:
    """Put a notification for one user in the outbox, with a delivery per chosen channel.

    Call it inside the unit of work that records the event; the caller commits. ``kind`` is
    a short machine name ("case.dispatched"); ``subject`` and ``body`` are already in the
    recipient's language. ``link`` is a site path ("/community/cases/12"). ``urgent``
    notifications ignore the recipient's quiet hours. With ``dedupe_key`` ("case:12:dispatch"),
    a second call with the same key for the same user returns the first notification and adds
    nothing, so retried requests do not notify twice.
    """
    _check_link(link)
    if dedupe_key is not None:
        existing = session.scalar(select(Notification).where(
            Notification.recipient_user_id == recipient_user_id,
            Notification.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    # One line: the subject becomes an e-mail header and a robot message's first line.
    subject = " ".join(subject.split())
    note = Notification(recipient_user_id=recipient_user_id, kind=kind[:64],
                        subject=subject[:200], body=body, urgent=urgent, link=link,
                        dedupe_key=dedupe_key, created_at=utcnow())
    session.add(note)
    session.flush()
    now = utcnow()
    for channel in channels_for(session.get(Preference, recipient_user_id)):
        session.add(Delivery(notification_id=note.id, channel=channel, next_attempt_at=now,
                             created_at=now))
    session.flush()
    return note


def _check_link(link: str | None) -> None:
    if link is not None and (not link.startswith("/") or link.startswith(("//", "/\\"))):
        raise InputError([Problem("link", "must be a path on this site, e.g. /community")],
                         source="notification")


_BY_KEY = select(Notification.id).where(
    Notification.recipient_user_id == bindparam("uid"),
    Notification.dedupe_key == bindparam("key"))
_PREF = select(Preference.email, Preference.email_enabled, Preference.webhooks).where(
    Preference.user_id == bindparam("uid"))
_NOTE_TABLE: Table = Notification.__table__  # type: ignore[assignment]
_DELIVERY_TABLE: Table = Delivery.__table__  # type: ignore[assignment]
_INSERT_NOTE = insert_all(_NOTE_TABLE, returning_id=True)
_INSERT_DELIVERY = insert_all(_DELIVERY_TABLE)


def notified(
    *, recipient_user_id: int, kind: str, subject: str, body: str, now: datetime,
    urgent: bool = False, link: str | None = None, dedupe_key: str | None = None,
) -> Flow[int]:
    """:func:`notify` as a flow (the notification's id), for services that run as flows on
    either driver (check-ins and gate scans raising alerts on asyncpg). Same rules.

    ``now`` is the event's time (the notification's ``created_at``). Deliveries are due on the
    wall clock, which the worker compares with: an event stamped in the future (a sweep
    rehearsed with ``--at``) is still sent now, not held until that time."""
    _check_link(link)
    if dedupe_key is not None:
        found = yield Scalar(_BY_KEY, {"uid": recipient_user_id, "key": dedupe_key})
        if found is not None:
            return int(found)
    row = yield One(_PREF, {"uid": recipient_user_id})
    pref = None if row is None else Preference(email=row[0], email_enabled=row[1],
                                               webhooks=list(row[2] or []))
    note_id = int((yield Scalar(_INSERT_NOTE, {
        "recipient_user_id": recipient_user_id, "kind": kind[:64],
        "subject": " ".join(subject.split())[:200], "body": body, "urgent": urgent,
        "link": link, "dedupe_key": dedupe_key, "created_at": now, "read_at": None})))
    due = min(now, utcnow())
    for channel in channels_for(pref):
        yield Run(_INSERT_DELIVERY, {
            "notification_id": note_id, "channel": channel, "status": "pending", "attempts": 0,
            "next_attempt_at": due, "lease_owner": None, "lease_until": None,
            "last_error": "", "created_at": due, "sent_at": None})
    return note_id


def recent(session: Session, user_id: int, *, after_id: int | None = None, limit: int = 50
           ) -> list[Notification]:
    """A user's notifications: with ``after_id`` (0 included) those newer than it, oldest
    first, as a stream follows them; without, the newest first."""
    stmt = select(Notification).where(Notification.recipient_user_id == user_id)
    if after_id is not None:
        stmt = stmt.where(Notification.id > after_id).order_by(Notification.id)
    else:
        stmt = stmt.order_by(Notification.id.desc())
    return list(session.scalars(stmt.limit(limit)))


def mark_read(session: Session, user_id: int, notification_id: int) -> bool:
    """Mark one of the user's notifications read; False when it is not theirs."""
    done = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.recipient_user_id == user_id,
               Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    return bool(getattr(done, "rowcount", 0))


def purge(session: Session, *, before: datetime) -> int:
    """Delete notifications written before ``before`` whose deliveries are all finished
    (sent or failed), with their deliveries; the number deleted. Notifications may name
    people and places, so they are not kept for ever (``rescity notifications purge``)."""
    unfinished = exists().where(Delivery.notification_id == Notification.id,
                                Delivery.status.in_(("pending", "sending")))
    ids = list(session.scalars(select(Notification.id).where(
        Notification.created_at < before, ~unfinished)))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        session.execute(delete(Delivery).where(Delivery.notification_id.in_(chunk)))
        session.execute(delete(Notification).where(Notification.id.in_(chunk)))
    return len(ids)


def public(note: Notification) -> dict[str, Any]:
    """What the recipient's browser receives (the SSE stream and the JSON list)."""
    return {"id": note.id, "kind": note.kind, "subject": note.subject, "body": note.body,
            "urgent": note.urgent, "link": note.link,
            "created_at": note.created_at.isoformat(), "read": note.read_at is not None}


@dataclass(frozen=True)
class PreferenceInput:
    email: str = ""
    email_enabled: bool = False
    webhooks: tuple[str, ...] = ()
    quiet_start: str = ""
    quiet_end: str = ""


def get_preference(session: Session, user_id: int) -> Preference:
    """The user's preference row, or an unsaved default (in-app only)."""
    pref = session.get(Preference, user_id)
    return pref if pref is not None else Preference(user_id=user_id, email="",
                                                    email_enabled=False, webhooks=[],
                                                    quiet_start="", quiet_end="")


def set_preference(session: Session, user_id: int, value: PreferenceInput, *,
                   known_webhooks: set[str]) -> Preference:
    """Check and store a user's channels and quiet hours (all problems at once)."""
    problems = []
    email = value.email.strip()
    if email and not _EMAIL.match(email):
        problems.append(Problem("email", "not an e-mail address"))
    if value.email_enabled and not email:
        problems.append(Problem("email", "an address is needed to receive e-mail"))
    for name in value.webhooks:
        if name not in known_webhooks:
            problems.append(Problem("webhooks", f"no group robot named '{name}' is configured"))
    for field_name in ("quiet_start", "quiet_end"):
        text = getattr(value, field_name).strip()
        if text and not _HHMM.match(text):
            problems.append(Problem(field_name, "a time as HH:MM, e.g. 22:00"))
    if bool(value.quiet_start.strip()) != bool(value.quiet_end.strip()):
        problems.append(Problem("quiet_end", "give both the start and the end of quiet hours"))
    if problems:
        raise InputError(problems, source="notification preferences")
    pref = session.get(Preference, user_id)
    if pref is None:
        pref = Preference(user_id=user_id)
        session.add(pref)
    pref.email = email
    pref.email_enabled = value.email_enabled
    pref.webhooks = sorted(set(value.webhooks))
    pref.quiet_start = value.quiet_start.strip()
    pref.quiet_end = value.quiet_end.strip()
    pref.updated_at = utcnow()
    session.flush()
    return pref
