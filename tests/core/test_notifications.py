"""Notifications: the outbox shares the event's transaction; the worker delivers by e-mail to
a real SMTP server and to a local robot receiver, retries with backoff, keeps quiet hours,
and never lets two workers hold the same delivery — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from rescity.core.accounts import create_user
from rescity.core.config import Settings, WebhookTarget, load_settings
from rescity.core.errors import InputError
from rescity.core.notifications import Delivery, Notification, Status, notify
from rescity.core.notifications.channels import DeliveryError, robot_request
from rescity.core.notifications.outbox import PreferenceInput, set_preference
from rescity.core.notifications.worker import UNKNOWN, Worker, quiet_until
from rescity.core.places import Place, PlaceLevel, add_place
from tests.core.receivers import robot_receiver, smtp_server


def make_settings(tmp_path: Path, db_url: str, **extra: Any) -> Settings:
    return load_settings(environment="test", data_dir=tmp_path / "data", database_url=db_url,
                         secret_key="test-secret-" + "x" * 32, **extra)


def add_user(factory: sessionmaker[Any], name: str, **pref: Any) -> int:
    with factory() as session:
        user = create_user(session, username=f"user.{name}", password="long-enough-pw")
        if pref:
            set_preference(session, user.id, PreferenceInput(**pref),
                           known_webhooks={"office", "duty"})
        session.commit()
        return user.id


def deliveries(factory: sessionmaker[Any]) -> list[Delivery]:
    with factory() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_a_notification_is_stored_with_its_event_or_not_at_all(
    session_factory: sessionmaker[Any]
) -> None:
    uid = add_user(session_factory, "li", email="li@office.example", email_enabled=True,
                   webhooks=("office",))
    with session_factory() as session:
        add_place(session, level=PlaceLevel.CITY, code="event", name_zh="事件")
        notify(session, recipient_user_id=uid, kind="case.dispatched", subject="新工单",
               body="b", link="/community/cases/1", dedupe_key="case:1")
        session.rollback()  # the event fails: its notification goes with it
    assert deliveries(session_factory) == []
    with session_factory() as session:
        assert session.scalars(select(Place)).all() == []
        assert session.scalars(select(Notification)).all() == []
    with session_factory() as session:
        first = notify(session, recipient_user_id=uid, kind="case.dispatched", subject="新工单",
                       body="b", dedupe_key="case:1")
        again = notify(session, recipient_user_id=uid, kind="case.dispatched", subject="新工单",
                       body="b", dedupe_key="case:1")
        session.commit()
        assert first.id == again.id
    assert [d.channel for d in deliveries(session_factory)] == ["email", "webhook:office"]
    with session_factory() as session, pytest.raises(InputError, match="path on this site"):
        notify(session, recipient_user_id=uid, kind="x", subject="s", body="",
               link="javascript:alert(1)")


def test_email_reaches_a_real_smtp_server(tmp_path: Path, db_url: str,
                                          session_factory: sessionmaker[Any]) -> None:
    uid = add_user(session_factory, "wang", email="wang@office.example", email_enabled=True)
    with smtp_server() as (port, box):
        settings = make_settings(tmp_path, db_url, notify_smtp_host="127.0.0.1",
                                 notify_smtp_port=port, notify_smtp_from="ops@city.example",
                                 notify_base_url="https://city.example")
        with session_factory() as session:
            notify(session, recipient_user_id=uid, kind="alert", subject="发热预警 3 号楼",
                   body="体温 38.6", urgent=True, link="/community/alerts")
            session.commit()
        assert Worker(settings, session_factory).run_once() == 1
    [mail] = box.messages
    assert box.recipients == [["wang@office.example"]]
    assert mail["Subject"] == "[!] 发热预警 3 号楼"
    assert mail["Message-ID"].startswith("<rescity-delivery-")
    text = mail.get_content()
    assert "体温 38.6" in text and "https://city.example/community/alerts" in text
    [row] = deliveries(session_factory)
    assert (row.status, row.attempts, row.lease_owner) == (Status.SENT, 1, None)


ROBOTS = [("wecom", ""), ("dingtalk", ""), ("dingtalk", "SECabc123"), ("feishu", ""),
          ("feishu", "fs-secret")]


@pytest.mark.parametrize(("kind", "secret"), ROBOTS)
def test_robot_messages_have_each_platforms_format_and_signature(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Any], kind: str, secret: str
) -> None:
    uid = add_user(session_factory, "zhao", webhooks=("office",))
    answer = {"code": 0, "msg": "success"} if kind == "feishu" else {"errcode": 0}
    with robot_receiver(answer) as robot:
        hook = {"kind": kind, "url": robot.url + "/robot/send?access_token=t1", "secret": secret}
        settings = make_settings(tmp_path, db_url, notify_webhooks={"office": hook})
        with session_factory() as session:
            notify(session, recipient_user_id=uid, kind="k", subject="新的帮扶请求", body="买菜")
            session.commit()
        Worker(settings, session_factory).run_once()
    [post] = robot.posts
    assert robot.texts() == ["新的帮扶请求\n买菜"]
    if kind == "feishu":
        assert post.body["msg_type"] == "text"
        if secret:  # key = "timestamp\nsecret", empty message (Feishu's documented scheme)
            key = f"{post.body['timestamp']}\n{secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            assert post.body["sign"] == expected
    else:
        assert post.body["msgtype"] == "text" and post.query["access_token"] == ["t1"]
        if secret:  # HMAC-SHA256("timestamp\nsecret") keyed with the secret, in the query
            stamp = post.query["timestamp"][0]
            digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(),
                              hashlib.sha256).digest()
            assert post.query["sign"] == [base64.b64encode(digest).decode()]
        else:
            assert "sign" not in post.query
    assert deliveries(session_factory)[0].status == Status.SENT


def test_a_signed_dingtalk_url_carries_timestamp_and_url_encoded_sign() -> None:
    target = WebhookTarget(kind="dingtalk", secret="SEC000",
                           url="https://oapi.dingtalk.com/robot/send?access_token=x")
    url, body = robot_request(target, "hi", now=1700000000.123)
    digest = hmac.new(b"SEC000", b"1700000000123\nSEC000", hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    assert url == ("https://oapi.dingtalk.com/robot/send?access_token=x"
                   f"&timestamp=1700000000123&sign={sign}")
    assert body == {"msgtype": "text", "text": {"content": "hi"}}


def test_failures_are_retried_with_backoff_then_given_up(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Any]
) -> None:
    uid = add_user(session_factory, "sun", webhooks=("office",))
    settings = make_settings(tmp_path, db_url, notify_max_attempts=3)
    calls: list[str] = []

    def flaky(_s: Settings, channel: str, _email: str, _m: Any) -> None:
        calls.append(channel)
        raise DeliveryError("robot busy (45009)")

    with session_factory() as session:
        notify(session, recipient_user_id=uid, kind="k", subject="s", body="")
        session.commit()
    worker = Worker(settings, session_factory, sender=flaky)
    before = datetime.now(UTC)
    assert worker.run_once() == 1
    [row] = deliveries(session_factory)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "robot busy (45009)")
    assert timedelta(seconds=26) < row.next_attempt_at - before < timedelta(seconds=34)
    assert worker.run_once() == 0  # not due yet
    for expected_wait in (60, None):
        with session_factory() as session:
            session.execute(update(Delivery).values(next_attempt_at=datetime.now(UTC)))
            session.commit()
        later = datetime.now(UTC)
        worker.run_once()
        [row] = deliveries(session_factory)
        if expected_wait:
            wait = (row.next_attempt_at - later).total_seconds()
            assert expected_wait * 0.85 < wait < expected_wait * 1.15
    assert (row.status, row.attempts, len(calls)) == ("failed", 3, 3)


def test_an_unconfigured_channel_fails_at_once_with_a_clear_error(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Any]
) -> None:
    uid = add_user(session_factory, "qian", email="q@office.example", email_enabled=True)
    with session_factory() as session:
        notify(session, recipient_user_id=uid, kind="k", subject="s", body="")
        session.commit()
    Worker(make_settings(tmp_path, db_url), session_factory).run_once()
    [row] = deliveries(session_factory)
    assert row.status == "failed" and "notify_smtp_host" in row.last_error


def test_quiet_hours_hold_back_all_but_urgent_notifications(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Any]
) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    now_local = datetime.now(zone)
    start = (now_local - timedelta(hours=1)).strftime("%H:%M")
    end = (now_local + timedelta(hours=2)).strftime("%H:%M")
    uid = add_user(session_factory, "zhou", webhooks=("office",), quiet_start=start,
                   quiet_end=end)
    sent: list[str] = []
    with session_factory() as session:
        notify(session, recipient_user_id=uid, kind="k", subject="routine", body="")
        notify(session, recipient_user_id=uid, kind="k", subject="fire", body="", urgent=True)
        session.commit()
    Worker(make_settings(tmp_path, db_url), session_factory,
           sender=lambda _s, _c, _e, m: sent.append(m.subject)).run_once()
    assert sent == ["fire"]
    routine, urgent = deliveries(session_factory)
    assert (routine.status, routine.attempts) == ("pending", 0)
    held = routine.next_attempt_at.astimezone(zone)
    assert held.strftime("%H:%M") == end and held > now_local
    assert urgent.status == "sent"


@pytest.mark.parametrize(("start", "end", "at", "until"), [
    ("22:00", "07:00", "23:30", "07:00"),   # overnight, before midnight
    ("22:00", "07:00", "06:59", "07:00"),   # overnight, after midnight
    ("22:00", "07:00", "07:00", None),      # the end minute is no longer quiet
    ("12:00", "14:00", "13:00", "14:00"),
    ("12:00", "14:00", "11:59", None),
    ("08:00", "08:00", "08:00", None),      # equal: no quiet hours
])
def test_quiet_hours_table(start: str, end: str, at: str, until: str | None) -> None:
    from rescity.core.notifications.models import Preference

    zone = ZoneInfo("Asia/Shanghai")
    h, m = (int(x) for x in at.split(":"))
    now = datetime(2026, 12, 6, h, m, tzinfo=zone)
    found = quiet_until(Preference(quiet_start=start, quiet_end=end), now, zone)
    assert (found.astimezone(zone).strftime("%H:%M") if found else None) == until
    if found:
        assert timedelta(0) < found - now < timedelta(hours=24)


def test_two_workers_never_claim_the_same_delivery(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Any]
) -> None:
    uid = add_user(session_factory, "wu", webhooks=("office", "duty"))
    with session_factory() as session:
        for i in range(5):
            notify(session, recipient_user_id=uid, kind="k", subject=f"m{i}", body="")
        session.commit()
    settings = make_settings(tmp_path, db_url)
    first, second = (Worker(settings, session_factory, batch=6) for _ in range(2))
    with session_factory() as a, session_factory() as b:
        token_a, token_b = first.claim(a), second.claim(b)
    rows = deliveries(session_factory)
    owners = [r.lease_owner for r in rows]
    assert owners.count(token_a) == 6 and owners.count(token_b) == 4


def test_a_send_interrupted_by_a_dead_worker_is_retried_with_the_same_message_id(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Any]
) -> None:
    uid = add_user(session_factory, "zheng", email="z@office.example", email_enabled=True)
    with session_factory() as session:
        note = notify(session, recipient_user_id=uid, kind="k", subject="s", body="")
        session.commit()
    past = datetime.now(UTC) - timedelta(seconds=5)
    with session_factory() as session:  # what a worker killed during the send leaves behind
        session.execute(update(Delivery).values(status="sending", lease_owner="dead:1",
                                                lease_until=past))
        session.commit()
    with smtp_server() as (port, box):
        settings = make_settings(tmp_path, db_url, notify_smtp_host="127.0.0.1",
                                 notify_smtp_port=port)
        assert Worker(settings, session_factory).run_once() == 1
    [row] = deliveries(session_factory)
    assert (row.status, row.last_error) == ("sent", UNKNOWN)
    assert box.messages[0]["Message-ID"].startswith(f"<rescity-delivery-{row.id}@")
    with session_factory() as session:
        assert session.get(Notification, note.id) is not None


def test_robots_are_configured_as_toml_tables(tmp_path: Path) -> None:
    config = tmp_path / "rescity.toml"
    config.write_text('[rescity]\nnotify_smtp_host = "smtp.example"\n\n'
                      '[rescity.notify_webhooks.office]\nkind = "dingtalk"\n'
                      'url = "https://oapi.dingtalk.com/robot/send?access_token=T"\n'
                      'secret = "SEC1"\n', "utf-8")
    settings = load_settings(config)
    assert settings.notify_webhooks["office"].kind == "dingtalk"
    assert settings.notify_webhooks["office"].secret == "SEC1"
    config.write_text('[rescity.notify_webhooks.x]\nkind = "slack"\nurl = "ftp://x"\n', "utf-8")
    with pytest.raises(InputError, match=r"notify_webhooks\.x\.kind"):
        load_settings(config)


def test_the_cli_sends_a_test_notification_counts_and_delivers(
    db_url: str, session_factory: sessionmaker[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from rescity.cli import app

    add_user(session_factory, "cli", webhooks=("office",))
    monkeypatch.setenv("RESCITY_DATABASE_URL", db_url)
    monkeypatch.delenv("RESCITY_CONFIG", raising=False)
    runner = CliRunner()
    sent = runner.invoke(app, ["notifications", "send", "user.cli", "--subject", "drill"])
    assert sent.exit_code == 0 and "in-app, webhook:office" in sent.output, sent.output
    assert "webhook:office\tpending\t1" in runner.invoke(app, ["notifications", "status"]).output
    with robot_receiver() as robot:
        hook = json.dumps({"office": {"kind": "wecom", "url": robot.url + "/hook"}})
        monkeypatch.setenv("RESCITY_NOTIFY_WEBHOOKS", hook)
        done = runner.invoke(app, ["notifications", "worker", "--once"])
    assert "handled 1 deliveries" in done.output and robot.texts() == ["drill"]
    assert "webhook:office\tsent\t1" in runner.invoke(app, ["notifications", "status"]).output


def test_purge_deletes_old_finished_notifications_only(
    session_factory: sessionmaker[Any]
) -> None:
    from rescity.core.notifications.outbox import purge

    uid = add_user(session_factory, "old", webhooks=("office",))
    with session_factory() as session:
        for subject in ("old-sent", "old-pending", "new-sent"):
            notify(session, recipient_user_id=uid, kind="k", subject=subject, body="")
        session.commit()
        long_ago = datetime.now(UTC) - timedelta(days=100)
        session.execute(update(Notification).where(Notification.subject.like("old-%"))
                        .values(created_at=long_ago))
        session.execute(update(Delivery).where(Delivery.notification_id.in_(
            select(Notification.id).where(Notification.subject != "old-pending")))
            .values(status="sent"))
        session.commit()
        assert purge(session, before=datetime.now(UTC) - timedelta(days=90)) == 1
        session.commit()
        left = sorted(session.scalars(select(Notification.subject)))
    assert left == ["new-sent", "old-pending"]
    assert len(deliveries(session_factory)) == 2


def test_an_unexpected_sender_error_is_recorded_not_resent_for_ever(
    tmp_path: Path, db_url: str, session_factory: sessionmaker[Any]
) -> None:
    uid = add_user(session_factory, "bug", webhooks=("office",))
    with session_factory() as session:
        notify(session, recipient_user_id=uid, kind="k", subject="two\nlines\r\n", body="")
        session.commit()

    def broken(_s: Settings, _c: str, _e: str, message: Any) -> None:
        assert message.subject == "two lines"  # one line, fit for an e-mail header
        raise UnicodeEncodeError("ascii", "两", 0, 1, "boom")

    Worker(make_settings(tmp_path, db_url, notify_max_attempts=1), session_factory,
           sender=broken).run_once()
    [row] = deliveries(session_factory)
    assert row.status == "failed" and row.last_error.startswith("UnicodeEncodeError")
    assert row.lease_owner is None
