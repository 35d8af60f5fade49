"""Real people in a real browser (headless Debian Chromium, phone-sized): a resident asks for
help, the grid worker matches, a volunteer accepts (and only then sees the contact), delivers
with a receipt, the resident confirms; then a reported problem is urged (催办), resolved with
evidence and rated. Screenshots go to test-artifacts/community_ops/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rescity.core.config import load_settings
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.web.app import create_app
from tests.community.casework import PASSWORD, seed
from tests.live import free_port, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "community_ops"


class Live:
    def __init__(self, tmp_path: Path, template: Path) -> None:
        db = tmp_path / "browser.sqlite3"
        shutil.copyfile(template, db)
        self.settings = load_settings(environment="test", data_dir=tmp_path,
                                      secret_key="browser-ops-" + "x" * 32,
                                      database_url=f"sqlite:///{db}")
        self.engine = make_engine(self.settings.resolved_database_url)
        self.places, self.users, self.tokens = seed(make_session_factory(self.engine))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = start_server(create_app(self.settings, engine=self.engine), self.port)

    def stop(self) -> None:
        self.server.should_exit = True
        self.engine.dispose()


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path) -> Iterator[Live]:
    server = Live(tmp_path, sqlite_template)
    yield server
    server.stop()


def person(browser: Any, live: Live, username: str) -> Any:
    """A signed-in phone-sized page for ``username`` (English interface)."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = ctx.new_page()
    page.goto(live.url + "/lang/en?next=/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#logout")
    return page


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_help_request_from_asking_to_confirmation_in_the_browser(
    live: Live, browser: Any,
) -> None:
    import httpx

    # the volunteer registered from the app (the JSON API), near grid a1
    r = httpx.post(f"{live.url}/api/community/volunteers",
                   headers={"Authorization": f"Bearer {live.tokens['vol']}"},
                   json={"place": "a", "display_name": "Chen (volunteer)",
                         "skills": ["shopping", "pharmacy"], "languages": ["zh", "en"],
                         "areas": ["a"], "capacity": 2})
    assert r.status_code == 201, r.text
    # only a vetted volunteer is offered anything: the grid worker vets them first
    r = httpx.post(f"{live.url}/api/community/volunteers/{r.json()['id']}/vet",
                   headers={"Authorization": f"Bearer {live.tokens['grid']}"},
                   json={"state": "vetted", "organisation": "Red Cross Putuo"})
    assert r.status_code == 200, r.text

    resident = person(browser, live, "res")
    resident.goto(live.url + "/community/help")
    resident.select_option("#kind", "medicine")
    resident.select_option("#urgency", "high")
    resident.select_option("#language", "zh")
    resident.fill("#description", "Insulin from the pharmacy on 2nd Road, prescription ready")
    resident.fill("#contact_name", "Wang Fang")
    resident.fill("#contact_phone", "13812341234")
    resident.fill("#address", "Block 3, room 101")
    resident.check("#money_handling")
    resident.click("#ask-help")
    resident.wait_for_selector("#done")
    assert "Looking for a volunteer" in resident.inner_text("#help-table")
    shot(resident, "01-resident-asked-for-help")

    grid = person(browser, live, "grid")
    grid.goto(live.url + "/community/help")
    grid.click("#run-match")
    grid.wait_for_selector("#done")
    assert "Offered to a volunteer" in grid.inner_text("#help-table")
    shot(grid, "02-grid-worker-matched")

    vol = person(browser, live, "vol")
    vol.goto(live.url + "/community/help/offers")
    offer = vol.locator("article.offer").first
    assert "Medicine" in offer.inner_text()
    assert "13812341234" not in vol.content() and "Wang Fang" not in vol.content()
    shot(vol, "03-volunteer-offer-without-contact")
    offer.locator("button", has_text="Accept").click()
    vol.wait_for_selector("dl.contact")
    assert "13812341234" in vol.inner_text("dl.contact")
    assert "Wang Fang" in vol.inner_text("dl.contact")
    shot(vol, "04-volunteer-accepted-sees-contact")
    vol.locator("button", has_text="I am on my way").click()
    vol.wait_for_selector("form[id^=receipt-form]")
    vol.locator("input[name=amount]").fill("42.50")
    vol.locator("input[name=items]").fill("insulin pens x2")
    vol.locator("button", has_text="Record the receipt").click()
    vol.wait_for_load_state()
    vol.locator("button", has_text="Delivered").click()
    vol.wait_for_selector("article.offer-done")
    shot(vol, "05-volunteer-delivered")

    resident.goto(live.url + "/community/help")
    assert "Delivered" in resident.inner_text("#help-table")
    resident.locator("button", has_text="Confirm it arrived").click()
    resident.wait_for_selector("#done")
    assert "Confirmed" in resident.inner_text("#help-table")
    shot(resident, "06-resident-confirmed")


def test_a_reported_problem_is_urged_resolved_with_evidence_and_rated(
    live: Live, browser: Any,
) -> None:
    resident = person(browser, live, "res")
    resident.goto(live.url + "/community/cases/new")
    resident.select_option("#service_code", "waste")
    resident.fill("#description", "Bins at block 3 not emptied for three days")
    resident.fill("#address", "Block 3")
    resident.click("#file-case")
    resident.wait_for_selector("#history")
    assert "Dispatched" in resident.inner_text("#case-status")

    grid = person(browser, live, "grid")
    grid.goto(live.url + "/community/cases")
    table = grid.inner_text("#cases-table")
    assert "Waste not collected" in table
    grid.locator("#cases-table button", has_text="Urge").first.click()
    grid.wait_for_selector("#done")
    assert "urged 1×" in grid.inner_text("#cases-table")
    shot(grid, "07-grid-worker-task-table-urged")

    pm = person(browser, live, "pma")
    pm.goto(live.url + "/community/cases")
    pm.locator("#cases-table a").first.click()
    pm.click("#accept")
    pm.fill("#resolution", "Bins emptied, collection rota fixed")
    pm.fill("#evidence", "https://photos.example/bins-after.jpg")
    pm.click("#resolve")
    pm.wait_for_selector("#history")
    assert "Resolved" in pm.inner_text("#case-status")

    resident.reload()
    resident.select_option("#rating", "4")
    resident.click("#rate")
    resident.wait_for_selector("#history")
    history = resident.inner_text("#history")
    for step in ("reported", "dispatched", "urged", "taken", "resolved", "rated"):
        assert step in history
    shot(resident, "08-resident-rated-case-history")
