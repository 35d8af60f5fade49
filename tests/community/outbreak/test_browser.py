"""The public statistics page on a phone and a desk, and the health officer's map and chain,
in headless Chromium; screenshots go to test-artifacts/outbreak/ for people to look at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import box

from rescity.community.outbreak import cases, publish
from rescity.community.outbreak.domain import CaseInput, CaseStatus, Granularity
from rescity.community.outbreak.runtime import OutbreakRuntime
from rescity.community.shared.runtime import Runtime
from rescity.core.accounts import get_user, principal_of
from rescity.core.boundaries.importer import set_boundary
from rescity.core.config import load_settings
from rescity.core.places import PlaceLevel, add_place, get_place
from rescity.core.security.personal_data import new_key_spec
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app
from tests.community.conftest import PASSWORD, _build, _one_hash
from tests.live import serving, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "outbreak"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr("rescity.core.accounts.hash_password", lambda _p: _one_hash())
    settings = load_settings(
        environment="test", data_dir=tmp_path, secret_key="browser-test-" + "x" * 32,
        database_url=f"sqlite:///{tmp_path / 'browser.sqlite3'}",
        data_keys=new_key_spec("k1"), default_language="en",
    )
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    _build(factory, Runtime.create(settings))
    rt = OutbreakRuntime.create(settings)
    today = rt.today()
    with UnitOfWork(factory) as uow:
        health = principal_of(get_user(uow.session, "health"))
        # Two grids with outlines side by side, a third without one (listed under the map).
        for code, west in (("a1", 114.300), ("a2", 114.306)):
            set_boundary(get_place(uow.session, code), box(west, 30.515, west + 0.006, 30.522))
        add_place(uow.session, level=PlaceLevel.GRID, code="a3", name_zh="网格A3",
                  name_en="Grid A3", parent=get_place(uow.session, "a"))
        uow.commit()
    first = None
    for i in range(48):  # a week of cases in grid a1, a few in a2
        grid = "a1" if i % 6 else "a2"
        with UnitOfWork(factory) as uow:
            view = cases.record_case(uow, rt, health, CaseInput(
                status=CaseStatus.CONFIRMED, grid=grid, building=str(1 + i % 3),
                confirmed_date=today - timedelta(days=i % 7), lat=30.52 + i * 0.0004,
                lon=114.31 + (i % 7) * 0.0006, source_case_id=first if i in (1, 2, 7) else None,
                exposure_date=today - timedelta(days=7) if i in (1, 2, 7) else None,
                cluster="Canteen" if i < 5 else "",
            ))
            first = first or view.id
    with UnitOfWork(factory) as uow:
        publish.release(uow, rt, health, place_code="a", granularity=Granularity.DAY,
                        first=today - timedelta(days=6), last=today)
    app = create_app(settings, engine=engine)
    with serving(app) as url:
        yield url
    engine.dispose()


def _column(page: Any, index: int) -> dict[str, str]:
    """The table's published values of one period, by grid name."""
    rows = page.locator(".ob-table tbody tr").all()
    return {r.locator("td").nth(0).inner_text(): r.locator("td").nth(index + 1).inner_text()
            for r in rows}


def _check_map(page: Any) -> None:
    """The map draws a1 and a2 (a3 has no outline and is listed), each grid labelled with the
    table's released value of the selected period, withheld ones hatched; so for two periods."""
    page.wait_for_selector(".ob-public-map[data-features='2']")
    assert "Grid A3 (a3)" in page.inner_text(".ob-missing")
    periods = page.locator(".ob-period option").all_inner_texts()
    assert len(periods) == 7
    for index in (6, 5):
        page.select_option(".ob-period", periods[index])
        page.wait_for_selector(f".ob-public-map[data-period='{periods[index]}']")
        column = _column(page, index)
        labels = page.locator(".ob-public-map .ob-label").all_inner_texts()
        assert sorted(labels) == sorted(column[g] for g in ("网格A1", "网格A2"))
        withheld = page.locator(".ob-public-map path.ob-withheld").count()
        assert withheld == sum(column[g].startswith("<") for g in ("网格A1", "网格A2"))
        assert periods[index] in page.inner_text(".ob-map-caption")
    # End on the period with the most published (not withheld) cells, for the screenshots.
    shown = [sum(not v.startswith("<") for v in _column(page, i).values()) for i in range(7)]
    best = max(range(7), key=lambda i: (shown[i], i))
    page.select_option(".ob-period", periods[best])
    page.wait_for_selector(f".ob-public-map[data-period='{periods[best]}']")


def test_public_statistics_state_epsilon_and_k_on_a_phone_and_a_desk(
    server: str, browser: Any,
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                is_mobile=True, has_touch=True, locale="en-US")
    page = phone.new_page()
    page.goto(f"{server}/outbreak/statistics?place=a")
    note = page.inner_text(".ob-what")
    assert "ε = 0.5" in note and "below 5" in note and "4.50 of 5.0" in note
    cells = page.locator(".ob-release td.n").all_inner_texts()
    assert len(cells) == 3 * 7 and any(c.isdigit() for c in cells)
    _check_map(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "1-public-statistics-phone.png"), full_page=True)
    phone.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = desk.new_page()
    page.goto(f"{server}/outbreak/statistics?place=a")
    _check_map(page)
    page.screenshot(path=str(ARTIFACTS / "2-public-statistics-desk.png"), full_page=True)
    again = page.locator(".ob-release td.n").all_inner_texts()
    zh = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    zh_page = zh.new_page()
    zh_page.goto(f"{server}/outbreak/statistics?place=a")
    zh_page.wait_for_selector(".ob-public-map[data-features='2']")
    assert "地图显示的时段" in zh_page.inner_text(".ob-side")
    zh_page.screenshot(path=str(ARTIFACTS / "5-public-map-zh.png"), full_page=True)
    zh.close()
    page.reload()
    assert page.locator(".ob-release td.n").all_inner_texts() == again  # stored, not redrawn

    sign_in(page, server, "health", PASSWORD, "/outbreak?place=a")
    page.wait_for_selector("#ob-map .ob-point")
    assert page.locator("#ob-map .ob-point").count() == 48
    assert "Canteen" in page.inner_text("#ob-cases")
    page.screenshot(path=str(ARTIFACTS / "3-staff-table-and-map.png"), full_page=True)
    page.click("#ob-chain-link")
    page.wait_for_selector("#ob-chain svg")
    assert page.locator("#ob-chain g.case").count() == 6
    page.screenshot(path=str(ARTIFACTS / "4-staff-chain.png"), full_page=True)
    desk.close()
