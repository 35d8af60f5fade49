"""A volunteer's first day in a real browser (headless Chromium): someone signs up on their
phone without an account, the grid worker vets them on the volunteers page (desktop and
phone), a request is matched and the offer appears on the volunteer's open page without a
reload; they accept it and see the contact. Screenshots go to test-artifacts/community_ops/."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.community.cases.test_browser import Live, live, person, shot  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_sign_up_is_vetted_and_receives_an_offer_live(live: Live, browser: Any) -> None:  # noqa: F811
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    phone = ctx.new_page()
    phone.goto(live.url + "/lang/en?next=/community/volunteers/signup")
    phone.fill("#display_name", "Zhou Min")
    phone.fill("#phone", "139 1234 5678")
    phone.select_option("#grid", "a1")
    phone.check("#skill-shopping")
    phone.check("#skill-pharmacy")
    phone.fill("#username", "zhoumin")
    phone.fill("#password", "a long password")
    phone.check("#consent")
    shot(phone, "vol-01-sign-up-phone")
    phone.click("#signup-submit")
    phone.wait_for_selector("#login-submit")  # signed up: now sign in
    phone.fill("#username", "zhoumin")
    phone.fill("#password", "a long password")
    phone.click("#login-submit")
    phone.wait_for_selector("#vetting")
    assert phone.inner_text("#vetting") == "waiting for vetting"

    desk = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    grid = desk.new_page()
    grid.goto(live.url + "/lang/en?next=/login")
    grid.fill("#username", "grid")
    grid.fill("#password", "correct horse battery")
    grid.click("#login-submit")
    grid.wait_for_selector("#logout")
    grid.goto(live.url + "/community/help")
    grid.click("#nav-volunteers")  # the operations menu leads there
    grid.select_option("#f-state", "pending")
    grid.click("#search")
    row = grid.locator("tr.vol-pending").first
    assert "Zhou Min" in row.inner_text() and "139****5678" in row.inner_text()
    shot(grid, "vol-02-pending-desktop")
    row.locator("input[name=organisation]").fill("Red Cross Putuo")
    row.locator("button", has_text="Approve").click()
    grid.wait_for_selector("#done")
    assert "approved" in grid.inner_text("#done")

    small = person(browser, live, "grid")
    small.goto(live.url + "/community/volunteers")
    assert "vetted" in small.inner_text("#volunteers-table")
    shot(small, "vol-03-list-phone")

    # the volunteer keeps their offers page open; a request arrives and is matched
    phone.reload()
    phone.wait_for_selector("#offers-live[data-stream='open']")
    assert phone.locator("article.offer").count() == 0
    r = httpx.post(f"{live.url}/api/community/help",
                   headers={"Authorization": f"Bearer {live.tokens['grid']}"},
                   json={"place": "a1", "kind": "groceries", "channel": "phone",
                         "contact_name": "Wang Fang", "contact_phone": "13812341234",
                         "address": "Block 3, room 101", "description": "rice and eggs"})
    assert r.status_code == 201, r.text
    m = httpx.post(f"{live.url}/api/community/help-match",
                   headers={"Authorization": f"Bearer {live.tokens['grid']}"})
    assert m.json()["offers"] == 1, m.text
    phone.wait_for_selector("article.offer", timeout=15_000)  # no reload: the stream
    shot(phone, "vol-04-offer-appeared")
    phone.locator("article.offer button", has_text="Accept").click()
    phone.wait_for_selector("dl.contact")
    assert "13812341234" in phone.inner_text("dl.contact")
    shot(phone, "vol-05-accepted")
