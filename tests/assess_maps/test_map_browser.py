"""An analyst in a real browser: run an assessment, click an origin, see its walk area."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rescity.core.accounts import create_user, grant_role
from rescity.core.config import load_settings
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app
from tests.conftest import ARTIFACTS
from tests.live import serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "map-browser-pass-1"


@contextmanager
def analyst_server(tmp_path: Path, extracts: Path, *, password: str = PASSWORD) -> Iterator[str]:
    """A live app whose assessment page offers the extracts in ``extracts`` to ``planner``."""
    settings = load_settings(
        environment="test",
        data_dir=tmp_path,
        secret_key="assess-browser-" + "x" * 32,
        database_url=f"sqlite:///{tmp_path / 'b.sqlite3'}",
        assess_extracts_dir=extracts,
        default_language="en",
    )
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    with UnitOfWork(make_session_factory(engine)) as uow:
        city = add_place(uow.session, level=PlaceLevel.CITY, code="nj", name_zh="南京市")
        user = create_user(
            uow.session, username="planner", password=password, display_name="Wang Fang"
        )
        grant_role(uow.session, user, "analyst", city)
        uow.commit()
    with serving(create_app(settings, engine=engine)) as url:
        yield url
    engine.dispose()


@pytest.fixture
def server(tmp_path: Path, osm_dir: Path) -> Iterator[str]:
    with analyst_server(tmp_path, osm_dir) as url:
        yield url


def run_assessment(
    page: Any, server: str, extract: str, origins: str, *, password: str = PASSWORD
) -> None:
    """Sign in as ``planner``, run ``extract`` from the assessment page, wait for the map."""
    page.goto(server + "/login?next=/assess")
    page.fill("#username", "planner")
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_selector("#assess-title")
    page.select_option("#extract", extract)
    page.select_option("#origins", origins)
    page.click("#run")
    page.wait_for_selector("#map[data-ready='true']", timeout=180_000)
    assert page.locator("#job-state").get_attribute("data-state") == "done"


def test_an_analyst_runs_an_assessment_and_clicks_an_origin(server: str, browser: Any) -> None:
    out = ARTIFACTS / "assess"
    out.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    run_assessment(page, server, "nanjing_xinjiekou.osm.pbf", "buildings")
    assert page.locator("path.origin-marker").count() > 100
    assert "生活服务指数" in page.locator("#summary").inner_text()  # the user reads Chinese

    marker = page.locator("path.origin-marker.snapped").nth(40)
    marker.click(force=True)
    page.wait_for_selector("#reach-list li.reach-item")
    page.wait_for_selector("path.walk-area")
    assert page.locator("path.reached-facility").count() >= 1
    assert "1000 m" in page.locator("#reach-title").inner_text()

    page.select_option("#site-item", "kindergarten")
    page.fill("#site-k", "3")
    page.click("#site-run")
    page.wait_for_selector("#site-list li")
    assert page.locator(".site-icon").count() >= 1
    page.screenshot(path=str(out / "map-origin-click.png"), full_page=True)
    page.locator("#map").screenshot(path=str(out / "map-only.png"))
    page.close()
    assert errors == []
    assert all(u.startswith(server) for u in requests), "the page fetched from elsewhere"
