"""A resident checks in with a fever on a phone; the grid worker sees the alert.

Headless Debian Chromium through Playwright against uvicorn on loopback; screenshots go to
test-artifacts/community/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rescity.community.shared.deps import get_runtime
from rescity.community.shared.runtime import Runtime
from rescity.core.config import load_settings
from rescity.core.security.personal_data import new_key_spec
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.web.app import create_app
from tests.community.conftest import PASSWORD, _build, _one_hash
from tests.live import serving, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "community"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr("rescity.core.accounts.hash_password", lambda _p: _one_hash())
    settings = load_settings(
        environment="test",
        data_dir=tmp_path,
        secret_key="browser-test-" + "x" * 32,
        database_url=f"sqlite:///{tmp_path / 'browser.sqlite3'}",
        data_keys=new_key_spec("k1"),
        default_language="en",
    )
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    runtime = Runtime.create(settings)
    _build(make_session_factory(engine), runtime)
    app = create_app(settings, engine=engine)
    app.dependency_overrides[get_runtime] = lambda: runtime
    with serving(app) as url:
        yield url
    engine.dispose()


def test_fever_check_in_on_a_phone_reaches_the_grid_worker(server: str, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
    )
    page = phone.new_page()
    sign_in(page, server, "alice", PASSWORD, "/community/checkin")
    page.fill("#temperature", "38.6")
    page.check("#sym-cough")
    page.screenshot(path=str(ARTIFACTS / "1-phone-checkin-form.png"), full_page=True)
    page.click("#checkin-submit")
    page.wait_for_selector("#checkin-done")
    assert "fever" in page.inner_text("#checkin-done").lower()
    # Nothing overflows sideways on the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "2-phone-checkin-done.png"), full_page=True)
    page.goto(f"{server}/community/me")
    page.wait_for_selector("#pass-qr svg")
    page.screenshot(path=str(ARTIFACTS / "3-phone-my-pass.png"), full_page=True)
    phone.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    worker = desk.new_page()
    sign_in(worker, server, "grid_a1", PASSWORD, "/community/alerts")
    card = worker.locator("article.alert-card[data-kind=fever]")
    assert card.count() == 1
    text = card.inner_text()
    assert "Alice Test" in text and "38.6" in text
    worker.screenshot(path=str(ARTIFACTS / "4-grid-worker-alerts.png"), full_page=True)
    card.locator("button", has_text="Acknowledge").click()
    worker.wait_for_selector("article.alert-card .status:has-text('acknowledged')")
    worker.goto(f"{server}/community/dashboard?place=a1")
    worker.screenshot(path=str(ARTIFACTS / "5-dashboard.png"), full_page=True)
    desk.close()
