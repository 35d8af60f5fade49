"""Sending one message over e-mail (SMTP) or to a group-chat robot (WeCom, DingTalk, Feishu).

Each sender raises :class:`DeliveryError` on failure, with ``permanent=True`` when retrying
cannot help (the channel is not configured, the robot rejects the message's format).

Robot formats (plain text messages):

- WeCom (企业微信) group robot: ``{"msgtype": "text", "text": {"content": …}}``; the key is
  part of the URL, there is no signing. Success: ``{"errcode": 0}``.
- DingTalk (钉钉) custom robot: the same shape. With a "加签" secret, ``timestamp`` (ms) and
  ``sign`` = URL-encoded base64 HMAC-SHA256 of ``"{timestamp}\\n{secret}"`` keyed with the
  secret are added to the URL's query. Success: ``{"errcode": 0}``.
- Feishu (飞书) custom bot: ``{"msg_type": "text", "content": {"text": …}}``. With a
  "签名校验" secret, ``timestamp`` (s) and ``sign`` = base64 HMAC-SHA256 with the key
  ``"{timestamp}\\n{secret}"`` over an empty message go into the body. Success: ``{"code": 0}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from rescity.core.config import Settings, WebhookTarget

TIMEOUT_S = 20


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    delivery_id: int
    subject: str
    body: str
    link: str | None
    urgent: bool

    def text(self, base_url: str) -> str:
        parts = [("【!】" if self.urgent else "") + self.subject]
        if self.body:
            parts.append(self.body)
        if self.link:
            parts.append(base_url.rstrip("/") + self.link if base_url else self.link)
        return "\n".join(parts)


def send_email(settings: Settings, to: str, message: Message) -> None:
    """One e-mail; its Message-ID is fixed per delivery, so a copy sent again after a crash
    is recognisable as the same message."""
    if not settings.notify_smtp_host:
        raise DeliveryError("e-mail is not configured (setting notify_smtp_host)", permanent=True)
    if not to:
        raise DeliveryError("the recipient has no e-mail address", permanent=True)
    mail = EmailMessage()
    mail["From"] = settings.notify_smtp_from
    mail["To"] = to
    mail["Subject"] = ("[!] " if message.urgent else "") + message.subject
    mail["Date"] = formatdate(localtime=False)
    domain = settings.notify_smtp_from.rpartition("@")[2] or "rescity.local"
    mail["Message-ID"] = f"<rescity-delivery-{message.delivery_id}@{domain}>"
    mail.set_content(message.text(settings.notify_base_url))
    try:
        client: smtplib.SMTP
        if settings.notify_smtp_tls == "ssl":
            client = smtplib.SMTP_SSL(settings.notify_smtp_host, settings.notify_smtp_port,
                                      timeout=TIMEOUT_S, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.notify_smtp_host, settings.notify_smtp_port,
                                  timeout=TIMEOUT_S)
        with client:
            if settings.notify_smtp_tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.notify_smtp_user:
                client.login(settings.notify_smtp_user, settings.notify_smtp_password)
            client.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"recipient refused: {exc}", permanent=True) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP: {exc}") from None


def robot_request(target: WebhookTarget, text: str, *, now: float | None = None
                  ) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body to post for ``text`` to a robot (signed when it has a secret)."""
    now = time.time() if now is None else now
    if target.kind == "feishu":
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
        if target.secret:
            stamp = str(int(now))
            key = f"{stamp}\n{target.secret}".encode()
            body["timestamp"] = stamp
            body["sign"] = base64.b64encode(
                hmac.new(key, b"", hashlib.sha256).digest()).decode()
        return target.url, body
    body = {"msgtype": "text", "text": {"content": text}}
    url = target.url
    if target.kind == "dingtalk" and target.secret:
        stamp = str(int(now * 1000))
        digest = hmac.new(target.secret.encode(), f"{stamp}\n{target.secret}".encode(),
                          hashlib.sha256).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
        url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={sign}"
    return url, body


def send_webhook(settings: Settings, name: str, message: Message) -> None:
    target = settings.notify_webhooks.get(name)
    if target is None:
        raise DeliveryError(f"no group robot named '{name}' in setting notify_webhooks",
                            permanent=True)
    url, body = robot_request(target, message.text(settings.notify_base_url))
    request = urllib.request.Request(  # noqa: S310 - http(s) only (settings validate the URL)
        url, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{target.kind} robot answered HTTP {exc.code}",
                            permanent=exc.code in (400, 401, 403, 404)) from None
    except OSError as exc:
        raise DeliveryError(f"{target.kind} robot unreachable: {exc}") from None
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise DeliveryError(f"{target.kind} robot answered with non-JSON") from None
    code = answer.get("code", answer.get("errcode", answer.get("StatusCode", 0)))
    if code not in (0, None):
        detail = answer.get("msg") or answer.get("errmsg") or answer.get("StatusMessage")
        raise DeliveryError(f"{target.kind} robot refused the message: {code} {detail}")
