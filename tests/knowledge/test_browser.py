"""Search, submit, review and find again — in headless Chromium through Playwright.

Runs the real app on loopback over a SQLite database with the Guangzhou collection imported;
screenshots go to test-artifacts/knowledge/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rescity.core.accounts import create_user, grant_role
from rescity.core.config import load_settings
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import parse_file
from rescity.knowledge.services.catalogue import apply_import
from rescity.web.app import create_app
from tests.live import serving, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "knowledge"
PASSWORD = "a-long-password-1"


@pytest.fixture
def server(tmp_path: Path, seeds_dir: Path) -> Iterator[str]:
    settings = load_settings(
        environment="test",
        data_dir=tmp_path,
        secret_key="browser-test-" + "x" * 32,
        database_url=f"sqlite:///{tmp_path / 'browser.sqlite3'}",
        default_language="zh",
    )
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with UnitOfWork(factory) as uow:
        apply_import(
            uow,
            parse_file(
                seeds_dir / "guangzhou-award-6th-chinese-initiatives.txt", "guangzhou-award"
            ),
        )
    with UnitOfWork(factory) as uow:
        city = add_place(uow.session, level=PlaceLevel.CITY, code="gz", name_zh="广州")
        create_user(uow.session, username="resident", password=PASSWORD)
        editor = create_user(uow.session, username="editor", password=PASSWORD)
        grant_role(uow.session, editor, "knowledge_editor", city)
        uow.commit()
    app = create_app(settings, engine=engine)
    with serving(app) as url:
        yield url
    engine.dispose()


def test_search_submit_review_and_find_the_new_initiative(server: str, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # 1. anyone searches in Chinese (two characters) and narrows by a facet
    visitor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = visitor.new_page()
    page.goto(f"{server}/kb")
    page.fill("#kb-q", "更新")
    page.click("#kb-search-submit")
    page.wait_for_selector("#kb-total")
    assert page.inner_text("#kb-total") == "共 3 个案例"
    assert page.locator("article.kb-hit mark").first.inner_text() == "更新"
    page.screenshot(path=str(ARTIFACTS / "1-search-zh.png"), full_page=True)
    page.click("a[data-facet=city][data-value=shanghai]")
    page.wait_for_selector("#kb-total")
    assert page.inner_text("#kb-total") == "共 1 个案例"
    page.click("article.kb-hit h2 a")
    page.wait_for_selector("#kb-title")
    assert "上海" in page.inner_text("#kb-title")

    # 2. a signed-in resident shares an initiative in Chinese, with a figure
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN"
    )
    mobile = phone.new_page()
    sign_in(mobile, server, "resident", PASSWORD, "/kb/submit")
    mobile.click("#kb-submit")  # empty form: the browser's own check stops it (city required)
    mobile.select_option("#kb-city", "guangzhou")
    mobile.click("#kb-submit")
    mobile.wait_for_selector("#kb-problems")
    assert "title" in mobile.inner_text("#kb-problems")
    mobile.fill("#kb-title-zh", "广州口袋公园与社区生活圈")
    mobile.fill("#kb-abstract-zh", "在老城区建设口袋公园，完善15分钟社区生活圈，提升城市韧性。")
    mobile.fill("#kb-measures-zh", "腾退闲置地块\n居民参与设计")
    mobile.fill("#kb-fig-0-indicator", "步行5分钟可达公园的居民比例")
    mobile.fill("#kb-fig-0-baseline", "42")
    mobile.fill("#kb-fig-0-value", "78")
    mobile.fill("#kb-fig-0-unit", "%")
    mobile.fill("#kb-fig-0-year", "2024")
    mobile.screenshot(path=str(ARTIFACTS / "2-submit-phone.png"), full_page=True)
    mobile.click("#kb-submit")
    mobile.wait_for_selector("#kb-submitted")
    assert "78" in mobile.inner_text("#kb-figures")
    mobile.screenshot(path=str(ARTIFACTS / "3-submitted-phone.png"), full_page=True)

    # 3. the editor publishes it from the review queue
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    editor = desk.new_page()
    sign_in(editor, server, "editor", PASSWORD, "/kb/review")
    editor.click("#kb-queue a")
    editor.wait_for_selector("#kb-review")
    editor.click("#kb-publish")
    editor.wait_for_selector("#kb-history")
    assert "已发布" in editor.inner_text("#kb-history")

    # 4. anyone now finds it with a two-character query
    page.goto(f"{server}/kb")
    page.fill("#kb-q", "公园")
    page.click("#kb-search-submit")
    page.wait_for_selector("#kb-total")
    # the new record first; English cases about parks come after it (公园 = park)
    assert page.inner_text("#kb-total") != "共 0 个案例"
    assert "口袋公园" in page.locator("article.kb-hit h2").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "4-found-after-publish.png"), full_page=True)

    # 5. the city profile shows derived and stated density, with the mismatch flagged
    page.goto(f"{server}/lang/en?next=/kb/cities/bijie")
    page.wait_for_selector("#kb-profile")
    assert "1,263,700" in page.inner_text("#kb-profile")
    assert "⚠" in page.inner_text("#kb-profile")
    page.screenshot(path=str(ARTIFACTS / "5-city-profile-en.png"), full_page=True)
    for ctx in (visitor, phone, desk):
        ctx.close()
