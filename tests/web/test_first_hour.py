"""What a new user meets first: error pages for browsers, a menu fitted to the role, places
named rather than given as paths, module cards that lead somewhere."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from rescity.core.accounts import create_user, grant_role
from rescity.core.config import load_settings
from rescity.core.places import get_place
from rescity.core.security.policy import Role
from rescity.core.storage.db import make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app
from tests.web.conftest import PASSWORD, World, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml"}


def test_a_browser_gets_an_error_page_and_the_api_keeps_json(world: World) -> None:
    client = world.client
    page = client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert 'id="error-message"' in page.text and "未找到" in page.text
    assert '<a href="/">' in page.text  # a way back
    api = client.get("/api/no/such", headers=HTML)
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"
    plain = client.get("/no/such/page")
    assert plain.status_code == 404 and plain.json() == {"detail": "Not Found"}

    client.cookies.set("rescity_lang", "en")
    bad = client.get("/kb?page=zero", headers=HTML)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    assert "not valid" in bad.text and re.search(r"<code>query\.page</code>", bad.text)
    api_bad = client.post("/api/tokens", json={"username": "admin"}, headers=HTML)
    assert api_bad.status_code == 422 and api_bad.json()["error"] == "InputError"


def test_home_cards_link_and_roles_show_place_names(world: World) -> None:
    client = world.client
    home = client.get("/").text
    for href in ("/assess", "/community", "/kb"):
        assert re.search(rf'<h3><a id="card-\w+" href="{href}">', home)
    assert sign_in(client, "grid").status_code == 303
    client.cookies.set("rescity_lang", "en")
    roles = re.search(r'<ul id="roles">(.*?)</ul>', client.get("/").text, re.S)
    assert roles and "Grid worker" in roles.group(1)
    assert "社区A" in roles.group(1) and "/1/" not in roles.group(1)


@pytest.mark.parametrize("role", list(Role))
def test_the_community_menu_entry_is_shown_exactly_to_roles_with_community_work(
    sqlite_engine, tmp_path, role: Role
) -> None:
    # Menus depend on the roles alone: one backend is enough.
    engine = sqlite_engine
    settings = load_settings(environment="test", data_dir=tmp_path / "data",
                             database_url=str(engine.url), secret_key="test-secret-" + "x" * 32)
    with UnitOfWork(make_session_factory(engine)) as uow:
        from rescity.core.places import PlaceLevel, add_place

        s = uow.session
        city = add_place(s, level=PlaceLevel.CITY, code="c", name_zh="城", name_en="City")
        user = create_user(s, username="someone", password=PASSWORD)
        grant_role(s, user, role.value, get_place(s, city.code))
        uow.commit()
    with TestClient(create_app(settings, engine=engine)) as client:
        assert sign_in(client, "someone").status_code == 303
        in_menu = 'id="nav-community"' in client.get("/").text
        hub = client.get("/community").text
        entries = re.findall(r'id="go-[\w-]+"', hub)
        assert in_menu == bool(entries), (role, entries)
        assert ('id="nothing-here"' in hub) == (not entries)
    if role == Role.KNOWLEDGE_EDITOR:
        assert not in_menu  # the case in the issue: a page with only a heading
    if role in (Role.DEPARTMENT, Role.GRID_WORKER, Role.PROPERTY_MANAGER):
        assert 'id="go-cases"' in hub


def test_times_on_pages_are_local_and_say_their_zone(world: World) -> None:
    client = world.client
    assert sign_in(client, "admin").status_code == 303
    audit = client.get("/admin/audit")
    assert audit.status_code == 200
    shown = re.findall(r"<td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\w+)</td>", audit.text)
    assert shown and {zone for _, zone in shown} == {"CST"}  # Asia/Shanghai, the default


def test_the_local_filter_converts_and_labels() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from rescity.web.context import local_time

    at = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert local_time(ZoneInfo("Asia/Shanghai"))(at) == "2026-07-01 20:00 CST"
    assert local_time(ZoneInfo("Europe/Berlin"))(at, "%H:%M") == "14:00 CEST"
    assert local_time(ZoneInfo("Europe/Berlin"))(None) == "–"
