"""An action plan built from the template in headless Chromium, and kept from a visitor.

Runs the real app on loopback over SQLite with the IURC partner list imported; screenshots
go to test-artifacts/knowledge/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rescity.core.accounts import create_user
from rescity.core.config import load_settings
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import parse_file
from rescity.knowledge.services.catalogue import apply_import
from rescity.knowledge.services.plans import add_city_editor
from rescity.web.app import create_app
from tests.live import serving, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "knowledge"
PASSWORD = "a-long-password-1"
EMAIL = "focal.point@haikou.example"


@pytest.fixture
def server(tmp_path: Path, seeds_dir: Path) -> Iterator[str]:
    settings = load_settings(
        environment="test",
        data_dir=tmp_path,
        secret_key="browser-test-" + "x" * 32,
        database_url=f"sqlite:///{tmp_path / 'plans.sqlite3'}",
        default_language="en",
    )
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with UnitOfWork(factory) as uow:
        apply_import(uow, parse_file(seeds_dir / "iurc-china-news.txt", "iurc-news"))
    with UnitOfWork(factory) as uow:
        create_user(uow.session, username="haikou-editor", password=PASSWORD)
        create_user(uow.session, username="visitor", password=PASSWORD)
        uow.commit()
    with UnitOfWork(factory) as uow:
        add_city_editor(uow, None, "haikou", "haikou-editor")
    app = create_app(settings, engine=engine)
    with serving(app) as url:
        yield url
    engine.dispose()


def test_an_editor_builds_a_plan_marks_a_milestone_done_and_a_visitor_sees_nothing(
    server: str, browser: Any
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    editor = desk.new_page()
    sign_in(editor, server, "haikou-editor", PASSWORD, "/kb/plans")
    editor.click("#kb-plan-new")
    editor.wait_for_selector("#kb-plan-form")
    editor.select_option("#kb-plan-city", "haikou")
    editor.fill("#kb-plan-title", "Haikou wetland city action plan")
    editor.select_option("#kb-plan-programme", "iurc-china")
    editor.fill("#kb-plan-projects", "Wetland monitoring network\nLow-carbon ferry pilot")
    editor.fill("#kb-plan-stakeholders", "Haikou DRC\nWetlands institute")
    editor.fill("#kb-plan-decision", "Monthly steering meeting chaired by the DRC")
    editor.fill("#kb-plan-contact-role", "DRC focal point")
    editor.fill("#kb-plan-contact-name", "Ms Li")
    editor.fill("#kb-plan-contact-email", EMAIL)
    editor.fill("#kb-ms-0-title", "Roadmap agreed with the partner")
    editor.fill("#kb-ms-0-due", "2025-03-31")
    editor.fill("#kb-ms-1-title", "Study visit to Valencia")
    editor.fill("#kb-ms-1-due", "2025-09-30")
    editor.screenshot(path=str(ARTIFACTS / "plan-1-template.png"), full_page=True)
    editor.click("#kb-plan-save")
    editor.wait_for_selector("#kb-plan-view")
    plan_url = editor.url
    rows = editor.locator("#kb-milestones tbody tr")
    assert rows.count() == 2
    assert EMAIL in editor.inner_text("#kb-plan-contact")
    editor.click("#kb-ms-done-0")
    editor.wait_for_selector("#kb-milestones tr[data-status=done]")
    statuses = [rows.nth(i).get_attribute("data-status") for i in range(2)]
    assert statuses == ["done", "planned"]
    editor.screenshot(path=str(ARTIFACTS / "plan-2-milestone-done.png"), full_page=True)

    other = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    visitor = other.new_page()
    sign_in(visitor, server, "visitor", PASSWORD, "/kb/plans")
    assert "Haikou wetland" not in visitor.inner_text("#kb-plans")
    response = visitor.goto(plan_url)
    assert response is not None and response.status == 403
    assert EMAIL not in visitor.content() and "Ms Li" not in visitor.content()
    anonymous = browser.new_context().new_page()
    response = anonymous.goto(plan_url)
    assert response is not None and EMAIL not in anonymous.content()
    assert response.status in (401, 403) or "/login" in anonymous.url
    visitor.screenshot(path=str(ARTIFACTS / "plan-3-visitor.png"), full_page=True)
    for ctx in (desk, other):
        ctx.close()


def test_the_map_draws_every_partner_city_without_any_remote_request(
    server: str, browser: Any
) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    remote: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server) else remote.append(r.url))
    page.goto(f"{server}/kb/map")
    page.locator(".kb-marker-city").nth(43).wait_for()  # no eval: the page's CSP forbids it
    assert page.locator(".kb-marker-city").count() == 44  # the 22 + 22 IURC partners
    assert page.inner_text("#kb-map-count") == "44 · 0"  # no initiative imported here
    assert remote == []
    page.screenshot(path=str(ARTIFACTS / "map.png"), full_page=True)
    ctx.close()
