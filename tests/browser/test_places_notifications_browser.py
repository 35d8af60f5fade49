"""In real Chromium: an administrator uploads grid boundaries and sees them drawn (no tiles);
a bad file shows its problems on the page; a notification appears live on the open page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rescity.core.accounts import create_user, get_user, grant_role
from rescity.core.notifications import notify
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage.db import make_session_factory
from rescity.core.storage.uow import UnitOfWork
from tests.core.test_boundaries import collection, hierarchy
from tests.live import sign_in

pytestmark = pytest.mark.browser


def test_an_admin_imports_boundaries_and_watches_notifications_arrive(
    live_server: Any, browser: Any, artifacts: Path, tmp_path: Path
) -> None:
    factory = make_session_factory(live_server.engine)
    with UnitOfWork(factory) as uow:
        root = add_place(uow.session, level=PlaceLevel.CITY, code="ROOT", name_zh="本市")
        admin = create_user(uow.session, username="admin1", password="browser-pass-1",
                            display_name="管理员")
        grant_role(uow.session, admin, "city_admin", root)
        uow.commit()
    live_server.settings = live_server.settings.model_copy(update={"notify_sse_poll_s": 0.3})
    live_server.start()
    out = artifacts / "places"
    out.mkdir(exist_ok=True)
    good, bad = tmp_path / "grids.geojson", tmp_path / "bad.geojson"
    good.write_text(collection(hierarchy()), "utf-8")
    broken = hierarchy()
    broken[5]["properties"]["parent"] = "NOPE"
    bad.write_text(collection(broken), "utf-8")

    for width, height in ((390, 844), (1280, 900)):
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        requests: list[str] = []
        page.on("request", lambda r, seen=requests: seen.append(r.url))
        sign_in(page, live_server.url, "admin1", "browser-pass-1", "/admin/places")
        page.set_input_files("input[name=file]", str(bad))
        page.click("#places-import button[type=submit]")
        page.wait_for_selector("#places-problems")
        assert "第 6 个要素（G-A）" in page.locator("#places-problems").inner_text()
        page.screenshot(path=str(out / f"1-problems-{width}.png"), full_page=True)
        page.set_input_files("input[name=file]", str(good))
        page.click("#places-import button[type=submit]")
        page.wait_for_selector("#places-map[data-features='6']")
        assert page.locator("#places-map path.place-grid").count() == 2
        assert page.locator("#places-map .leaflet-tile").count() == 0
        page.screenshot(path=str(out / f"2-map-{width}.png"), full_page=True)
        assert all(u.startswith(live_server.url) for u in requests), requests

        page.goto(live_server.url + "/notifications")
        page.wait_for_selector("#notify-live[data-state='open']")
        with UnitOfWork(factory) as uow:
            uid = get_user(uow.session, "admin1").id
            notify(uow.session, recipient_user_id=uid, kind="alert.raised", urgent=True,
                   subject=f"3 号楼门磁报警 ({width})", body="单元门已打开 10 分钟",
                   link="/community/alerts")
            uow.commit()
        item = page.locator(".notify-item.new").first
        item.wait_for(timeout=10_000)
        assert f"3 号楼门磁报警 ({width})" in item.inner_text()
        page.screenshot(path=str(out / f"3-notifications-{width}.png"), full_page=True)
        page.close()
