"""In real Chromium: a health officer seals a building from a phone and sees it on the board;
the office plans a door-delivery round for it, delivers and records each confirmation.
Screenshots at 390 and 1280 px go to test-artifacts/community/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from rescity.community.shared.deps import get_runtime
from rescity.community.shared.runtime import Runtime
from rescity.community.supplies import services as supplies
from rescity.core.accounts import User, principal_of
from rescity.core.config import load_settings
from rescity.core.security.personal_data import new_key_spec
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app
from tests.community.conftest import PASSWORD, _build, _one_hash
from tests.live import serving, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "community"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr("rescity.core.accounts.hash_password", lambda _p: _one_hash())
    settings = load_settings(
        environment="test", data_dir=tmp_path, secret_key="browser-test-" + "x" * 32,
        database_url=f"sqlite:///{tmp_path / 'browser.sqlite3'}",
        data_keys=new_key_spec("k1"), default_language="en")
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    runtime = Runtime.create(settings)
    factory = make_session_factory(engine)
    _build(factory, runtime)
    now = datetime.now(UTC)
    with UnitOfWork(factory) as uow:
        user = uow.session.scalar(select(User).where(User.username == "grid_a1"))
        assert user is not None
        office = principal_of(user)
    for step in (
        lambda u: supplies.create_item(u, office, code="mask", name_zh="口罩", name_en="Masks",
                                       unit="box", low_stock=5),
        lambda u: supplies.create_item(u, office, code="rice", name_zh="大米", name_en="Rice",
                                       unit="bag"),
        lambda u: supplies.create_store(u, office, now, place="a1", code="a1-store",
                                        name="A1 community store"),
        lambda u: supplies.receive(u, office, now, store="a1-store", item="mask", qty=40,
                                   lot_code="M-2411", expires_on=datetime(2027, 5, 1).date()),
        lambda u: supplies.receive(u, office, now, store="a1-store", item="rice", qty=6),
    ):
        with UnitOfWork(factory) as uow:
            step(uow)
    app = create_app(settings, engine=engine)
    app.dependency_overrides[get_runtime] = lambda: runtime
    with serving(app) as url:
        yield url
    engine.dispose()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_sealing_a_building_and_delivering_to_its_doors(server: str, browser: Any) -> None:
    phone = browser.new_context(locale="en-US", **PHONE)
    officer = phone.new_page()
    sign_in(officer, server, "health", PASSWORD, "/community/control")
    officer.select_option("#place", label="网格A1 (a1)")
    officer.fill("#building", "1")
    officer.select_option("#status", "sealed")
    officer.fill("#note", "two confirmed cases")
    officer.click("#set-status")
    officer.wait_for_url("**/community/control?done=set")
    assert officer.get_attribute("#tile-a1-1", "data-status") == "sealed"
    assert "Sealed" in officer.inner_text("#ctl-statuses")
    width = officer.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the control page scrolls sideways on a phone ({width}px)"
    _shot(officer, "control-390.png")

    desk = browser.new_context(locale="en-US", **DESKTOP)
    office = desk.new_page()
    sign_in(office, server, "grid_a1", PASSWORD, "/community/alerts")
    assert "Building 1: Sealed set" in office.inner_text("main")  # the grid worker was told
    office.goto(f"{server}/community/supplies")
    if not office.is_visible("#round-store"):
        office.click("#new-round summary")
    office.fill("#round-building", "1")
    office.select_option("#round-item", "mask")
    office.fill("#round-qty", "2")
    office.click("#round-submit")
    office.wait_for_url("**/community/supplies/rounds/*")
    assert office.inner_text("#round-method") == "To the door"
    assert office.inner_text("#round-control") == "Sealed"
    rows = office.locator("#deliveries-table tbody tr")
    ids = [rows.nth(i).get_attribute("id") for i in range(rows.count())]
    assert len(ids) == 2
    for row in ids:
        office.click(f"#{row} button[id^=deliver-]")
        office.wait_for_selector(f"#{row}[data-status=delivered]")
    for row in ids:
        office.fill(f"#{row} input[name=note]", "photo at the door")
        office.click(f"#{row} button[id^=confirm-]")
        office.wait_for_selector(f"#{row}[data-status=confirmed]")
    assert office.inner_text("#count-confirmed") == "2"
    assert office.inner_text("#round-status") == "All confirmed"
    _shot(office, "supplies-round-1280.png")
    office.goto(f"{server}/community/supplies")
    assert "36 box" in office.inner_text("#stock-a1-store-mask")
    _shot(office, "supplies-1280.png")
    office.goto(f"{server}/community/control")
    office.click("#permit summary")
    office.fill("#permit-resident", "1")  # alice, the first resident registered
    office.select_option("#permit-reason", "medical")
    until = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)
    office.fill("#permit-until", until.strftime("%Y-%m-%dT%H:%M"))
    office.click("#permit-submit")
    office.wait_for_url("**/community/control?done=permit")
    assert "Resident 1 · Medical visit" in office.inner_text("#permits")
    _shot(office, "control-1280.png")

    office_phone = phone.new_page()
    phone.clear_cookies()
    sign_in(office_phone, server, "grid_a1", PASSWORD, "/community/supplies")
    width = office_phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the supplies page scrolls sideways on a phone ({width}px)"
    _shot(office_phone, "supplies-390.png")
    office_phone.goto(f"{server}/community/supplies/rounds/1")
    _shot(office_phone, "supplies-round-390.png")
    office_phone.goto(f"{server}/community/supplies")
    office_phone.click("#new-round summary")
    office_phone.select_option("#round-item", "rice")
    office_phone.fill("#round-qty", "1")
    office_phone.click("#round-submit")  # the whole grid this time
    office_phone.wait_for_url("**/community/supplies/rounds/2")
    assert office_phone.locator("button[id^=deliver-]").count() == 2
    width = office_phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"a round scrolls sideways on a phone ({width}px)"
    _shot(office_phone, "supplies-round-pending-390.png")
    phone.close()
    desk.close()
