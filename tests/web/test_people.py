"""People administration over HTTP: the /api/admin/users API and the /admin/users pages,
on both backends. Community A (grids a1, a2) has an office administrator; community B (grid
b1) is out of its scope; the city administrator is out of its reach."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rescity.community.cases.adapters import Handler
from rescity.core.accounts import create_user, grant_role
from rescity.core.audit import AuditEntry
from rescity.core.config import Settings
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app
from tests.web.conftest import PASSWORD, csrf_of, sign_in


@dataclass
class Office:
    client: TestClient
    factory: Any

    def token(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        r = self.client.post("/api/tokens", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    def audit(self, action: str) -> list[AuditEntry]:
        with self.factory() as s:
            return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def office(settings: Settings, engine, session_factory) -> Iterator[Office]:
    with UnitOfWork(session_factory) as uow:
        s = uow.session
        city = add_place(s, level=PlaceLevel.CITY, code="city", name_zh="城")
        dist = add_place(s, level=PlaceLevel.DISTRICT, code="d", name_zh="区", parent=city)
        sub = add_place(s, level=PlaceLevel.SUBDISTRICT, code="s", name_zh="街道", parent=dist)
        a = add_place(s, level=PlaceLevel.COMMUNITY, code="a", name_zh="社区A", parent=sub)
        b = add_place(s, level=PlaceLevel.COMMUNITY, code="b", name_zh="社区B", parent=sub)
        a1 = add_place(s, level=PlaceLevel.GRID, code="a1", name_zh="网格A1", parent=a)
        add_place(s, level=PlaceLevel.GRID, code="a2", name_zh="网格A2", parent=a)
        b1 = add_place(s, level=PlaceLevel.GRID, code="b1", name_zh="网格B1", parent=b)
        for name, role, place in (("boss", "city_admin", city), ("office", "community_admin", a),
                                  ("wang", "grid_worker", a1), ("lin", "grid_worker", b1),
                                  ("zhao", "resident", a1)):
            grant_role(s, create_user(s, username=name, password=PASSWORD,
                                      display_name=name.title()), role, place)
        create_user(s, username="nobody", password=PASSWORD)
        for code, place in (("pm-a", a), ("pm-b", b)):
            s.add(Handler(code=code, kind="property_manager", name_zh=f"物业{code}",
                          place_id=place.id, scope=place.path))
        uow.commit()
    with TestClient(create_app(settings, engine=engine)) as client:
        yield Office(client, session_factory)


def test_a_community_admin_grants_a_role_on_a_grid_of_its_community_only(office: Office) -> None:
    h = office.token("office")
    ok = office.client.post("/api/admin/users/zhao/grants", headers=h,
                            json={"role": "grid_worker", "place": "a2"})
    assert ok.status_code == 201, ok.text
    assert {(g["role"], g["place"]) for g in ok.json()["grants"]} == {
        ("resident", "a1"), ("grid_worker", "a2")}
    other = office.client.post("/api/admin/users/zhao/grants", headers=h,
                               json={"role": "grid_worker", "place": "b1"})
    assert other.status_code == 403 and "outside their scope" in other.json()["message"]
    admin = office.client.post("/api/admin/users/zhao/grants", headers=h,
                               json={"role": "city_admin", "place": "a1"})
    assert admin.status_code == 403 and "city_admin" in admin.json()["message"]
    bad = office.client.post("/api/admin/users/zhao/grants", headers=h,
                             json={"role": "mayor", "place": "a1"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["where"] == "role"
    again = office.client.post("/api/admin/users/zhao/grants", headers=h,
                               json={"role": "grid_worker", "place": "a2"})
    assert again.status_code == 409
    assert office.client.post("/api/admin/users/ghost/grants", headers=h,
                              json={"role": "grid_worker", "place": "a2"}).status_code == 404
    rows = office.audit("user.grant")
    assert len(rows) == 1 and rows[0].actor == "office"
    assert rows[0].detail["role"] == "grid_worker" and rows[0].detail["place"] == "a2"


def test_a_community_admin_never_touches_a_city_admin_or_another_community(
        office: Office) -> None:
    h = office.token("office")
    assert office.client.post("/api/admin/users/boss/disable", headers=h).status_code == 403
    assert office.client.post("/api/admin/users/lin/disable", headers=h).status_code == 403
    assert office.client.post("/api/admin/users/boss/password-reset",
                              headers=h).status_code == 403
    assert office.client.get("/api/admin/users/lin", headers=h).status_code == 403
    assert office.client.get("/api/admin/users/ghost", headers=h).status_code == 404
    # Nothing was written by the refusals.
    assert office.audit("user.disable") == [] and office.audit("user.reset_password") == []
    assert office.client.get("/api/me", headers=office.token("boss")).status_code == 200


def test_people_administration_is_refused_to_other_roles(office: Office) -> None:
    h = office.token("wang")
    assert office.client.get("/api/admin/users", headers=h).status_code == 403
    assert office.client.post("/api/admin/users/zhao/disable", headers=h).status_code == 403
    assert office.client.get("/api/admin/users").status_code == 401


def test_a_disabled_users_session_and_token_are_refused_at_once(office: Office) -> None:
    wang = TestClient(office.client.app)
    assert sign_in(wang, "wang").status_code == 303
    token = office.token("wang")
    assert wang.get("/api/me").status_code == 200
    assert office.client.get("/api/me", headers=token).status_code == 200  # now cached
    h = office.token("office")
    r = office.client.post("/api/admin/users/wang/disable", headers=h)
    assert r.status_code == 200 and r.json()["active"] is False
    assert office.client.get("/api/me", headers=token).status_code == 401
    assert wang.get("/api/me").status_code == 401
    assert office.client.post("/api/tokens", json={"username": "wang", "password": PASSWORD}
                              ).status_code == 401
    (row,) = office.audit("user.disable")
    assert row.actor == "office" and row.detail["sessions_ended"] == 1
    assert office.client.post("/api/admin/users/wang/enable", headers=h).json()["active"]
    assert office.client.get("/api/me", headers=token).status_code == 200  # tokens kept
    assert wang.get("/api/me").status_code == 401  # the ended session stays ended
    assert len(office.audit("user.enable")) == 1


def test_search_by_name_role_and_place_a_page_at_a_time(office: Office) -> None:
    boss = office.token("boss")

    def names(**params: Any) -> list[str]:
        r = office.client.get("/api/admin/users", headers=boss, params=params)
        assert r.status_code == 200, r.text
        return [u["username"] for u in r.json()["users"]]

    assert names() == ["boss", "lin", "nobody", "office", "wang", "zhao"]
    assert names(role="grid_worker") == ["lin", "wang"]
    assert names(place="a") == ["office", "wang", "zhao"]
    assert names(role="grid_worker", place="a") == ["wang"]
    assert names(q="WAN") == ["wang"]
    assert names(q="%") == []  # a wildcard is a character, not a pattern
    page2 = office.client.get("/api/admin/users", headers=boss,
                              params={"per_page": 4, "page": 2}).json()
    assert [u["username"] for u in page2["users"]] == ["wang", "zhao"]
    assert (page2["total"], page2["pages"]) == (6, 2)
    bad = office.client.get("/api/admin/users", headers=boss, params={"role": "x", "place": "y"})
    assert bad.status_code == 422 and {p["where"] for p in bad.json()["problems"]} == {
        "role", "place"}
    # The office sees the people of its community only.
    office_h = office.token("office")
    seen = office.client.get("/api/admin/users", headers=office_h).json()
    assert [u["username"] for u in seen["users"]] == ["office", "wang", "zhao"]


def test_a_reset_password_signs_in_once_to_the_password_change(office: Office) -> None:
    h = office.token("office")
    r = office.client.post("/api/admin/users/wang/password-reset", headers=h)
    assert r.status_code == 200
    temp = r.json()["temporary_password"]
    assert len(temp) >= 10
    assert office.client.post("/api/tokens", json={"username": "wang", "password": PASSWORD}
                              ).status_code == 401
    refused = office.client.post("/api/tokens", json={"username": "wang", "password": temp})
    assert refused.status_code == 403 and "temporary" in refused.json()["message"]
    wang = TestClient(office.client.app)
    signed = sign_in(wang, "wang", temp)
    assert signed.headers["location"] == "/account?must_change=1"
    assert wang.get("/api/me").json()["grants"] == []  # no roles until changed
    page = wang.get("/account?must_change=1")
    assert 'id="must-change"' in page.text
    changed = wang.post("/account/password", data={
        "csrf_token": csrf_of(page.text), "current_password": temp,
        "new_password": "my own new secret", "repeat_password": "my own new secret"},
        follow_redirects=False)
    assert changed.status_code == 303
    office.token("wang", "my own new secret")
    (row,) = office.audit("user.reset_password")
    assert row.actor == "office" and temp not in str(row.detail)


def test_an_admin_lists_and_revokes_a_users_tokens_and_sessions(office: Office) -> None:
    token = office.token("zhao")
    h = office.token("office")
    shown = office.client.get("/api/admin/users/zhao", headers=h).json()
    assert len(shown["tokens"]) == 1 and "token" not in shown["tokens"][0]
    tid = shown["tokens"][0]["id"]
    assert office.client.delete(f"/api/admin/users/wang/tokens/{tid}",
                                headers=h).status_code == 404
    assert office.client.delete(f"/api/admin/users/zhao/tokens/{tid}",
                                headers=h).status_code == 204
    assert office.client.get("/api/me", headers=token).status_code == 401
    assert len(office.audit("user.revoke_token")) == 1


def test_withdrawing_a_role_takes_effect_and_the_office_keeps_its_own(office: Office) -> None:
    h = office.token("office")
    wang_h = office.token("wang")
    grant_id = office.client.get("/api/admin/users/wang", headers=h).json()["grants"][0]["id"]
    assert office.client.delete(f"/api/admin/users/wang/grants/{grant_id}",
                                headers=h).status_code == 204
    assert office.client.get("/api/me", headers=wang_h).json()["grants"] == []
    own = office.client.get("/api/admin/users/office", headers=h).json()["grants"][0]["id"]
    assert office.client.delete(f"/api/admin/users/office/grants/{own}",
                                headers=h).status_code == 403
    assert [r.detail["role"] for r in office.audit("user.revoke")] == ["grid_worker"]


def test_an_office_creates_a_user_who_must_choose_a_password(office: Office) -> None:
    h = office.token("office")
    r = office.client.post("/api/admin/users", headers=h, json={
        "username": "chen", "display_name": "陈", "role": "grid_worker", "place": "a2"})
    assert r.status_code == 201, r.text
    assert r.json()["user"]["must_change_password"] is True
    assert office.client.post("/api/admin/users", headers=h, json={
        "username": "sun", "role": "grid_worker", "place": "b1"}).status_code == 403
    assert len(office.audit("user.create")) == 1


def test_the_pages_search_show_and_disable_with_csrf(office: Office) -> None:
    client = office.client
    assert sign_in(client, "office").status_code == 303
    home = client.get("/").text
    assert 'id="nav-people"' in home and 'id="nav-account"' in home
    listing = client.get("/admin/users", params={"q": "wa"})
    assert listing.status_code == 200 and 'href="/admin/users/wang"' in listing.text
    assert 'href="/admin/users/zhao"' not in listing.text
    detail = client.get("/admin/users/wang")
    assert 'id="user-disable"' in detail.text
    token = csrf_of(detail.text)
    assert client.post("/admin/users/wang/disable").status_code == 403  # no CSRF token
    done = client.post("/admin/users/wang/disable", data={"csrf_token": token})
    assert done.status_code == 200 and 'id="people-done"' in done.text
    assert 'id="user-enable"' in done.text
    refused = client.post("/admin/users/wang/grants",
                          data={"csrf_token": token, "role": "grid_worker", "place": "b1"})
    assert refused.status_code == 403 and 'id="people-problems"' in refused.text
    boss = client.get("/admin/users/boss", headers={"accept": "text/html"})
    assert boss.status_code == 403
    reset = client.post("/admin/users/zhao/password-reset", data={"csrf_token": token})
    assert reset.status_code == 200 and 'id="temporary-password"' in reset.text
    wang = TestClient(client.app)
    sign_in(wang, "wang")
    assert 'id="nav-people"' not in wang.get("/").text


def test_an_office_links_a_user_to_a_handler_of_its_community(office: Office) -> None:
    client = office.client
    assert sign_in(client, "office").status_code == 303
    token = csrf_of(client.get("/admin/users/wang").text)
    linked = client.post("/admin/users/wang/handlers", data={"csrf_token": token,
                                                             "handler": "pm-a"})
    assert linked.status_code == 200 and 'id="unlink-pm-a"' in linked.text
    h = office.token("office")
    assert client.get("/api/community/handlers/pm-a/members", headers=h).json() == ["wang"]
    assert client.get("/api/admin/users/wang", headers=h).json()["handlers"] == [
        {"code": "pm-a", "supervises": False}]
    other = client.post("/admin/users/wang/handlers", data={"csrf_token": token,
                                                            "handler": "pm-b"})
    assert other.status_code == 403 and 'id="unlink-pm-b"' not in other.text
    assert client.get("/api/community/handlers/pm-b/members", headers=h).status_code == 403
    unlinked = client.post("/admin/users/wang/handlers/pm-a/unlink", data={"csrf_token": token})
    assert unlinked.status_code == 200 and 'id="unlink-pm-a"' not in unlinked.text
    assert client.delete("/api/community/handlers/pm-a/members/wang",
                         headers=h).status_code == 404
    assert [r.action for r in office.audit("community.handler.member_removed")] == [
        "community.handler.member_removed"]


def test_a_user_revokes_their_own_token_and_is_told_of_a_wrong_password_on_the_page(
        office: Office) -> None:
    token = office.token("zhao")
    client = office.client
    assert sign_in(client, "zhao").status_code == 303
    page = client.get("/account")
    assert 'id="nav-people"' not in page.text
    [tid] = re.findall(r'id="my-revoke-(\d+)"', page.text)
    csrf = csrf_of(page.text)
    wrong = client.post("/account/password", data={
        "csrf_token": csrf, "current_password": "not it", "new_password": "x" * 12,
        "repeat_password": "x" * 12})
    assert wrong.status_code == 401 and 'id="account-problems"' in wrong.text
    differ = client.post("/account/password", data={
        "csrf_token": csrf, "current_password": PASSWORD, "new_password": "x" * 12,
        "repeat_password": "y" * 12})
    assert differ.status_code == 422
    done = client.post(f"/account/tokens/{tid}/revoke", data={"csrf_token": csrf})
    assert done.status_code == 200 and 'id="account-done"' in done.text
    assert client.get("/api/me", headers=token).status_code == 401
