"""In real Chromium, at phone and desktop width: a community administrator finds a grid
worker, grants a role, is refused on another community, resets the password; the worker signs
in with the temporary password, lands on the password change and chooses their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rescity.core.accounts import create_user, grant_role
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage.db import make_session_factory
from rescity.core.storage.uow import UnitOfWork
from tests.live import sign_in

pytestmark = pytest.mark.browser
PASSWORD = "browser-pass-1"


def test_an_office_manages_its_people_on_the_pages(
    live_server: Any, browser: Any, artifacts: Path
) -> None:
    with UnitOfWork(make_session_factory(live_server.engine)) as uow:
        s = uow.session
        city = add_place(s, level=PlaceLevel.CITY, code="city", name_zh="本市")
        dist = add_place(s, level=PlaceLevel.DISTRICT, code="d", name_zh="普陀区", parent=city)
        sub = add_place(s, level=PlaceLevel.SUBDISTRICT, code="s", name_zh="真如镇", parent=dist)
        a = add_place(s, level=PlaceLevel.COMMUNITY, code="a", name_zh="真北社区", parent=sub)
        b = add_place(s, level=PlaceLevel.COMMUNITY, code="b", name_zh="铜川社区", parent=sub)
        add_place(s, level=PlaceLevel.GRID, code="a1", name_zh="真北一网格", parent=a)
        add_place(s, level=PlaceLevel.GRID, code="a2", name_zh="真北二网格", parent=a)
        add_place(s, level=PlaceLevel.GRID, code="b1", name_zh="铜川一网格", parent=b)
        grant_role(s, create_user(s, username="office", password=PASSWORD,
                                  display_name="真北社区办"), "community_admin", a)
        for n in range(1, 4):
            grant_role(s, create_user(s, username=f"worker{n}", password=PASSWORD,
                                      display_name=f"网格员{n}"), "grid_worker", a)
        uow.commit()
    live_server.start()
    out = artifacts / "people"
    out.mkdir(exist_ok=True)
    for width, height in ((390, 844), (1280, 900)):
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        sign_in(page, live_server.url, "office", PASSWORD, "/")
        page.click("#nav-people")
        page.wait_for_selector("#people-table")
        assert page.locator("#people-table tbody tr").count() == 4
        page.fill("input[name=q]", "worker1")
        page.click("#people-search-go")
        page.wait_for_selector("#people-table a[href='/admin/users/worker1']")
        assert page.locator("#people-table tbody tr").count() == 1
        page.screenshot(path=str(out / f"1-search-{width}.png"), full_page=True)
        page.click("#people-table a[href='/admin/users/worker1']")
        page.wait_for_selector("#grant-form")
        page.select_option("#grant-form select[name=role]", "volunteer")
        grid = "a2" if width < 600 else "a1"  # a role granted once per run
        page.fill("#grant-form input[name=place]", grid)
        page.click("#grant-go")
        page.wait_for_selector("#people-done")
        assert ("真北二网格" if grid == "a2" else "真北一网格") in page.locator(
            "#user-grants").inner_text()
        page.select_option("#grant-form select[name=role]", "grid_worker")
        page.fill("#grant-form input[name=place]", "b1")
        page.click("#grant-go")
        page.wait_for_selector("#people-problems")
        page.screenshot(path=str(out / f"2-refused-{width}.png"), full_page=True)
        page.click("#user-reset")
        page.wait_for_selector("#temporary-password")
        temp = page.locator("#temporary-password").inner_text().strip()
        page.screenshot(path=str(out / f"3-reset-{width}.png"), full_page=True)
        page.close()

        worker = browser.new_page(viewport={"width": width, "height": height},
                                  locale="zh-CN")
        sign_in(worker, live_server.url, "worker1", temp, "/account?must_change=1")
        worker.wait_for_selector("#must-change")
        worker.screenshot(path=str(out / f"4-must-change-{width}.png"), full_page=True)
        new = f"my own password {width}"
        worker.fill("input[name=current_password]", temp)
        worker.fill("input[name=new_password]", new)
        worker.fill("input[name=repeat_password]", new)
        worker.click("#password-go")
        worker.wait_for_url("**/login?next=%2Faccount")
        sign_in(worker, live_server.url, "worker1", new, "/account")
        assert worker.locator("#must-change").count() == 0
        worker.close()
