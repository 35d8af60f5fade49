"""The real app served on loopback for browser and crash tests (uvicorn in a thread)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(app: Any, port: int) -> uvicorn.Server:
    """Serve ``app`` on 127.0.0.1:``port`` in a daemon thread; return once it listens."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    return server


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app's base URL while it is served."""
    port = free_port()
    server = start_server(app, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True


def sign_in(page: Any, base: str, username: str, password: str, then: str) -> None:
    """Sign in through the login form and wait for the page it leads to."""
    page.goto(f"{base}/login?next={then}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{then}")
