"""A real server on loopback and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from rescity.core.config import load_settings
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine
from rescity.web.app import create_app
from tests.live import free_port, start_server


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
        self._server = start_server(create_app(self.settings, engine=self.engine), self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self.engine.dispose()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path)
    yield server
    server.stop()
