"""A person in a real browser: sign in, switch zh/en, sign out — on a phone-sized screen."""

import pytest

from rescity.core.accounts import create_user, grant_role
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage.db import make_session_factory
from rescity.core.storage.uow import UnitOfWork

pytestmark = pytest.mark.browser


def test_sign_in_switch_language_and_sign_out(live_server, browser, artifacts) -> None:
    with UnitOfWork(make_session_factory(live_server.engine)) as uow:
        city = add_place(uow.session, level=PlaceLevel.CITY, code="sh", name_zh="上海市")
        user = create_user(
            uow.session, username="lihua", password="browser-pass-1", display_name="李华"
        )
        grant_role(uow.session, user, "city_admin", city)
        uow.commit()
    live_server.start()
    out = artifacts / "shell"
    out.mkdir(exist_ok=True)

    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(live_server.url + "/")
    page.click("#login-link")
    assert page.locator("h1").inner_text() == "登录"
    page.fill("#username", "lihua")
    page.fill("#password", "wrong password")
    page.click("#login-submit")
    assert page.locator("#login-error").inner_text() == "用户名或密码错误。"
    page.fill("#username", "lihua")
    page.fill("#password", "browser-pass-1")
    page.click("#login-submit")
    page.wait_for_selector("#welcome")
    assert page.locator("#welcome").inner_text() == "欢迎，李华"
    assert "城市管理员" in page.locator("#roles").inner_text()
    page.screenshot(path=str(out / "1-signed-in-zh.png"), full_page=True)

    page.click("#lang-en")
    page.wait_for_selector("#lang-zh")
    assert page.locator("#welcome").inner_text() == "Welcome, 李华"
    assert "City administrator" in page.locator("#roles").inner_text()
    assert page.locator("#logout").inner_text() == "Sign out"
    page.screenshot(path=str(out / "2-signed-in-en.png"), full_page=True)

    page.click("#logout")
    page.wait_for_selector("#signed-out")
    assert page.locator("#signed-out").inner_text() == "You are signed out."
    assert page.locator("#login-link").is_visible()
    page.screenshot(path=str(out / "3-signed-out-en.png"), full_page=True)
    page.close()
