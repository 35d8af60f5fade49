"""A real server on loopback and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from rescity.core.config import load_settings
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine
from rescity.web.app import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn in a thread; `seed(engine)` runs before it starts."""

    def __init__(self, tmp_path: Path) -> None:
        self.settings = load_settings(
            environment="test",
            data_dir=tmp_path,
            secret_key="browser-test-" + "x" * 32,
            database_url=f"sqlite:///{tmp_path / 'browser.sqlite3'}",
        )
        self.engine = make_engine(self.settings.resolved_database_url)
        migrate.upgrade(self.engine)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None

    def start(self) -> None:
        app = create_app(self.settings, engine=self.engine)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        thread = threading.Thread(target=self._server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self.engine.dispose()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path)
    yield server
    server.stop()
