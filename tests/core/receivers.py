"""Real receivers on loopback for the notification tests: an SMTP server (aiosmtpd) and an
HTTP endpoint that records what group-chat robots would receive."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.live import free_port


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.messages.append(mail)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; yields its port and what it received."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()


@dataclass
class Posted:
    path: str
    query: dict[str, list[str]]
    body: dict[str, Any]


@dataclass
class RobotReceiver:
    url: str
    posts: list[Posted]
    answer: dict[str, Any]

    def texts(self) -> list[str]:
        """The message text of every post, whatever the robot format."""
        found = []
        for p in self.posts:
            content = p.body.get("text") or p.body.get("content") or {}
            found.append(str(content.get("content") or content.get("text") or ""))
        return found


@contextmanager
def robot_receiver(answer: dict[str, Any] | None = None) -> Iterator[RobotReceiver]:
    """An HTTP server that records JSON posts and answers like a robot (errcode 0)."""
    posts: list[Posted] = []
    lock = threading.Lock()
    receiver = RobotReceiver("", posts, answer or {"errcode": 0, "errmsg": "ok"})

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urlsplit(self.path)
            with lock:
                posts.append(Posted(parts.path, parse_qs(parts.query), json.loads(raw)))
            data = json.dumps(receiver.answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
