"""The server-rendered pages, through a real browser session (cookies and CSRF)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.community.conftest import PASSWORD, World


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _signed_in(world: World, username: str) -> TestClient:
    client = TestClient(world.client.app)
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token, "next": "/community"},
                    follow_redirects=False)
    assert r.status_code == 303
    return client


def test_resident_checks_in_on_the_page_and_a_resent_form_is_stored_once(world: World) -> None:
    alice = _signed_in(world, "alice")
    page = alice.get("/community/checkin")
    assert page.status_code == 200 and 'name="temperature_c"' in page.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key
    form = {"csrf_token": _csrf(page.text), "idempotency_key": key.group(1),
            "temperature_c": "38,3", "symptoms": ["cough", "fatigue"]}
    for _ in range(2):  # a double tap
        r = alice.post("/community/checkin", data=form, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith("fever=1")
    mine = world.call("alice", "GET", "/api/community/checkins").json()
    assert len(mine) == 1 and mine[0]["temperature_c"] == 38.3
    bad = alice.post("/community/checkin", data={**form, "temperature_c": "hot",
                                                 "idempotency_key": "another-key-123"})
    assert bad.status_code == 422 and 'id="checkin-error"' in bad.text


def test_grid_worker_acknowledges_and_resolves_on_the_alerts_page(world: World) -> None:
    world.call("carol", "POST", "/api/community/checkins", json={"temperature_c": 38.9})
    grid = _signed_in(world, "grid_a1")
    page = grid.get("/community/alerts")
    assert "Carol Test" in page.text and "38.9" in page.text
    alert_id = re.search(r'id="alert-(\d+)"', page.text)
    assert alert_id
    csrf = _csrf(page.text)
    grid.post(f"/community/alerts/{alert_id.group(1)}/acknowledge", data={"csrf_token": csrf})
    grid.post(f"/community/alerts/{alert_id.group(1)}/resolve",
              data={"csrf_token": csrf, "note": "called her"})
    assert 'id="no-alerts"' in grid.get("/community/alerts").text
    assert "called her" in grid.get("/community/alerts?status=all").text


def test_my_data_page_shows_the_pass_qr_and_the_retention_table(world: World) -> None:
    alice = _signed_in(world, "alice")
    page = alice.get("/community/me")
    assert page.status_code == 200 and "<svg" in page.text and "13812341234" in page.text
    assert "resident.phone" in page.text
    # The table speaks the page's language, and a retention of 0 days says what it means.
    alice.cookies.set("rescity_lang", "zh")
    chinese = alice.get("/community/me").text
    table = re.search(r'<ul class="retention" id="retention">(.*?)</ul>', chinese, re.S)
    assert table and "紧急情况下联系您" in table.group(1) and "emergency" not in table.group(1)
    assert "保存至您迁出后 30 天" in table.group(1)
    assert "保存至您撤回同意，随即删除" in table.group(1)
    assert not re.search(r"\D0 (days|天)", table.group(1))
    alice.cookies.set("rescity_lang", "en")
    english = re.search(r'id="retention">(.*?)</ul>', alice.get("/community/me").text, re.S)
    assert english and "<strong>Phone</strong> — Reach you in an emergency." in english.group(1)
    assert "kept until 30 days after you move out" in english.group(1)
    assert "kept until you withdraw your consent, then deleted" in english.group(1)


def test_dashboard_and_missing_pages_render(world: World) -> None:
    health = _signed_in(world, "health")
    board = health.get("/community/dashboard")
    assert board.status_code == 200 and 'id="breakdown"' in board.text and "&lt;5" in board.text
    assert "Carol Test" in health.get("/community/missing").text
    dept = _signed_in(world, "dept")
    assert dept.get("/community/missing").status_code == 403
    assert "Carol" not in dept.get("/community/dashboard?place=a").text


def test_pages_send_anonymous_visitors_to_sign_in(world: World) -> None:
    r = TestClient(world.client.app).get("/community/checkin", headers={"Accept": "text/html"},
                                         follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_neighbour_registers_from_the_qr_link(world: World) -> None:
    inv = world.call("admin", "POST", "/api/community/invitations", json={"place": "a"}).json()
    visitor = TestClient(world.client.app)
    page = visitor.get(f"/community/join?code={inv['code']}")
    assert page.status_code == 200 and 'value="a1"' in page.text and 'value="a2"' in page.text
    form = {"csrf_token": _csrf(page.text), "code": inv["code"], "name": "Frank Test",
            "phone": "13512345678", "grid": "a2", "building": "8", "room": "808",
            "username": "frank", "password": PASSWORD}
    taken = visitor.post("/community/join", data={**form, "username": "alice"})
    assert taken.status_code == 422 and "taken" in taken.text and "Frank Test" in taken.text
    done = visitor.post("/community/join", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/login")
    frank = _signed_in(world, "frank")
    assert "13512345678" in frank.get("/community/me").text
    assert 'id="join-invalid"' in visitor.get("/community/join?code=NOPE").text
