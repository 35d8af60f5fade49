"""In real Chromium: a grid worker's open alert page shows a new alert without a reload (the
page listens to the notification stream and fetches its list again); 390 px and 1280 px."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rescity.community.alerts.domain import Severity
from rescity.community.alerts.services import raise_alert
from rescity.core.accounts import create_user, grant_role
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage.db import make_session_factory
from rescity.core.storage.uow import UnitOfWork
from tests.live import sign_in

pytestmark = pytest.mark.browser


def test_the_open_alert_page_shows_a_new_alert_live(
    live_server: Any, browser: Any, artifacts: Path
) -> None:
    factory = make_session_factory(live_server.engine)
    with UnitOfWork(factory) as uow:
        grid = add_place(uow.session, level=PlaceLevel.CITY, code="c", name_zh="城")
        for level in (PlaceLevel.DISTRICT, PlaceLevel.SUBDISTRICT, PlaceLevel.COMMUNITY,
                      PlaceLevel.GRID):
            grid = add_place(uow.session, level=level, code=level.value, name_zh=level.value,
                             parent=grid)
        user = create_user(uow.session, username="grid1", password="browser-pass-1")
        grant_role(uow.session, user, "grid_worker", grid)
        scope = grid.path
        uow.commit()
    live_server.settings = live_server.settings.model_copy(update={"notify_sse_poll_s": 0.3})
    live_server.start()
    out = artifacts / "alerts-live"
    out.mkdir(exist_ok=True)
    for n, (width, height) in enumerate(((390, 844), (1280, 900)), start=1):
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        sign_in(page, live_server.url, "grid1", "browser-pass-1", "/community/alerts")
        page.wait_for_selector("#alerts-live[data-stream='open']")
        navigations: list[str] = []
        page.on("framenavigated", lambda frame, seen=navigations: seen.append(frame.url))
        with UnitOfWork(factory) as uow:
            alert = raise_alert(uow.session, kind="sensor_tamper", scope=scope,
                                severity=Severity.HIGH, source="sensor",
                                now=datetime.now(UTC), dedup_key=f"tamper:{n}")
            alert_id = alert.id
            uow.commit()
        card = page.locator(f"#alert-{alert_id}")
        card.wait_for(timeout=10_000)
        assert "传感器" in card.inner_text() or "sensor" in card.inner_text().lower()
        assert navigations == []  # no reload: the list was fetched and replaced in place
        page.screenshot(path=str(out / f"alert-live-{width}.png"), full_page=True)
        page.close()
