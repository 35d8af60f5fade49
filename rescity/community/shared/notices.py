"""What community events tell people: one message builder per event and the one call that
puts it in the notification outbox, inside the event's own transaction.

Every capability calls these instead of building texts itself: a new alert (its grid
worker, urgent when severe; escalations and control/supplies alerts go the same way), a help
offer (the volunteer, urgent when it expires soon), a case dispatched (the handler's
members) and a case's status change (its reporter). Texts are in the recipient's language
(``app_user.language``); each notification carries a link to the subject's page and a
de-duplication key naming the event, so a retried event does not notify twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from rescity.core.accounts import User
from rescity.core.i18n import Translator, translator
from rescity.core.notifications.outbox import notified
from rescity.core.storage.flows import Flow, Scalar, run_flow

# Offers expiring sooner than this are urgent (quiet hours do not hold them back).
URGENT_OFFER = timedelta(hours=1)
# Case history kinds the reporter hears about (their case changed status).
REPORTER_EVENTS = frozenset({"dispatched", "accepted", "resolved", "closed", "reopened",
                             "merged"})
_LANGUAGE = select(User.language).where(User.id == bindparam("uid"))


@dataclass(frozen=True)
class Message:
    kind: str
    key: str  # catalog prefix: "<key>.subject" and "<key>.body"
    params: dict[str, object]
    link: str
    dedupe_key: str
    urgent: bool = False


def told(user_id: int, msg: Message, now: datetime) -> Flow[int]:
    """Put ``msg`` for one user in the outbox, in their language (a flow: either driver)."""
    lang = (yield Scalar(_LANGUAGE, {"uid": user_id})) or "zh"
    t = translator(lang if lang in ("zh", "en") else "zh")
    params = {k: _label(t, v) for k, v in msg.params.items()}
    return (yield from notified(
        recipient_user_id=user_id, kind=msg.kind, subject=t(f"{msg.key}.subject", **params),
        body=t(f"{msg.key}.body", **params), urgent=msg.urgent, link=msg.link,
        dedupe_key=msg.dedupe_key, now=now))


def tell(session: Session, user_ids: Iterable[int], msg: Message, now: datetime) -> None:
    """:func:`told` on a session, for each recipient once. Never commits."""
    for uid in dict.fromkeys(user_ids):
        run_flow(session, told(uid, msg, now))


def _label(t: Translator, value: object) -> object:
    """A parameter written as ``("catalog.key", fallback)`` is translated (a kind's label)."""
    if isinstance(value, tuple):
        key, fallback = value
        text = t(key)
        return fallback if text == key else text
    return value


def alert(alert_id: int, kind: str, severity: str) -> Message:
    return Message(
        kind="alert.new", key="notice.alert",
        params={"id": alert_id, "what": (f"c.kind.{kind}", kind),
                "severity": (f"notice.severity.{severity}", severity)},
        link="/community/alerts", dedupe_key=f"alert:{alert_id}",
        urgent=severity in ("high", "critical"))


def alert_raised(alert_id: int, kind: str, severity: str, assignee_id: int | None,
                 now: datetime) -> Flow[None]:
    """Tell the alert's grid worker (nobody when no one is assigned)."""
    if assignee_id is not None:
        yield from told(assignee_id, alert(alert_id, kind, severity), now)


def offer(offer_id: int, request_id: int, help_kind: str, expires_at: datetime,
          now: datetime) -> Message:
    minutes = max(0, int((expires_at - now).total_seconds() // 60))
    return Message(
        kind="help.offer", key="notice.offer",
        params={"request": request_id, "what": (f"ops.help_kind.{help_kind}", help_kind),
                "minutes": minutes},
        link="/community/help/offers", dedupe_key=f"offer:{offer_id}",
        urgent=expires_at - now <= URGENT_OFFER)


def case_event(case_id: int, event: str, reopen_count: int, *, to_handler: bool,
               handler_id: int | None = None) -> Message:
    if to_handler:
        return Message(kind="case.dispatched", key="notice.case_dispatched",
                       params={"case": case_id}, link=f"/community/cases/{case_id}",
                       dedupe_key=f"case:{case_id}:r{reopen_count}:dispatch:{handler_id}")
    return Message(kind="case.status", key="notice.case_status",
                   params={"case": case_id, "status": (f"notice.case_event.{event}", event)},
                   link=f"/community/cases/{case_id}",
                   dedupe_key=f"case:{case_id}:r{reopen_count}:{event}:{handler_id}")


def vetting(volunteer_id: int, state: str, reason: str, decided_at: datetime) -> Message:
    """A volunteer hears the decision on them: approved (offers may come now), suspended or
    rejected (with the reason). Kind ``help.vetting``: their open offers page refreshes."""
    return Message(
        kind="help.vetting", key=f"notice.vetting.{state}", params={"reason": reason},
        link="/community/help/offers",
        dedupe_key=f"volunteer:{volunteer_id}:{state}:{decided_at.isoformat()}")
