"""Passes, gate scans and their alerts, visitors, self-registration by invitation."""

from __future__ import annotations

from typing import Any

from tests.community.conftest import PASSWORD, World


def _gate(world: World, code: str = "north") -> None:
    r = world.call("manager", "POST", "/api/community/gates",
                   json={"community": "a", "code": code, "name": "North gate"})
    assert r.status_code == 201


def _scan(world: World, token: str, direction: str = "in", gate: str = "north") -> dict[str, Any]:
    r = world.call("manager", "POST", "/api/community/gate-events",
                   json={"gate": gate, "direction": direction, "token": token})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_valid_pass_is_admitted_and_the_qr_is_an_svg(world: World) -> None:
    _gate(world)
    mine = world.call("alice", "GET", "/api/community/me/pass").json()
    qr = world.call("alice", "GET", "/api/community/me/pass/qr.svg")
    assert qr.headers["content-type"] == "image/svg+xml" and "<svg" in qr.text
    assert "Alice" not in mine["token"]  # the token carries no personal data
    result = _scan(world, mine["token"])
    assert result["admitted"] is True and result["outcome"] == "admitted"


def test_forged_revoked_and_other_community_passes_are_refused(world: World) -> None:
    _gate(world)
    token = world.call("alice", "GET", "/api/community/me/pass").json()["token"]
    # Change a character that carries only signature bits (the last one of unpadded base64
    # may carry ignored padding bits, and "xx" may equal the original: that forgery was no
    # forgery about once in 250 runs).
    c = token[-10]
    forged = token[:-10] + ("A" if c != "A" else "B") + token[-9:]
    assert _scan(world, forged)["outcome"] == "invalid"
    dave = world.call("dave", "GET", "/api/community/me/pass").json()["token"]
    assert _scan(world, dave)["outcome"] == "invalid"  # community b's pass at a's gate
    pass_id = world.call("alice", "GET", "/api/community/me/pass").json()["id"]
    world.call("grid_a1", "POST", f"/api/community/passes/{pass_id}/revoke")
    assert _scan(world, token)["outcome"] == "revoked"


def test_an_expired_pass_is_refused_and_raises_an_alert(world: World) -> None:
    _gate(world)
    issued = world.call("grid_a1", "POST", "/api/community/passes",
                        json={"resident_id": world.ids["alice"], "days": 1}).json()
    world.clock.advance(days=2)
    result = _scan(world, issued["token"])
    assert result["outcome"] == "expired" and len(result["alerts"]) == 1
    alerts = world.call("grid_a1", "GET", "/api/community/alerts").json()
    assert [a["kind"] for a in alerts] == ["expired_pass"]


def test_a_person_under_home_quarantine_at_a_gate_raises_a_high_alert(world: World) -> None:
    _gate(world)
    token = world.call("carol", "GET", "/api/community/me/pass").json()["token"]
    r = world.call("health", "PUT", f"/api/community/residents/{world.ids['carol']}/quarantine",
                   json={"until": "2026-12-07T00:00:00Z"})
    assert r.status_code == 200
    result = _scan(world, token, direction="out")
    assert result["outcome"] == "quarantined" and result["admitted"] is False
    alert = world.call("grid_a1", "GET", "/api/community/alerts").json()[0]
    assert (alert["kind"], alert["severity"]) == ("quarantine_breach", "high")
    assert alert["subject_name"] == "Carol Test"


def test_frequent_comings_and_goings_raise_one_alert_per_window(world: World) -> None:
    _gate(world)
    world.call("admin", "PUT", "/api/community/rules/a/frequent_access",
               json={"max_passages": 3, "window_minutes": 60})
    token = world.call("alice", "GET", "/api/community/me/pass").json()["token"]
    outcomes = []
    for i in range(6):
        world.clock.advance(minutes=2)
        outcomes.append(_scan(world, token, "in" if i % 2 == 0 else "out")["alerts"])
    assert outcomes[:3] == [[], [], []] and outcomes[3] != []
    alerts = world.call("grid_a1", "GET", "/api/community/alerts").json()
    assert [a["kind"] for a in alerts] == ["frequent_access"]
    assert alerts[0]["detail"]["passages"] >= 4


def test_only_passages_inside_the_window_count(world: World) -> None:
    _gate(world)
    world.call("admin", "PUT", "/api/community/rules/a/frequent_access",
               json={"max_passages": 2, "window_minutes": 10})
    token = world.call("alice", "GET", "/api/community/me/pass").json()["token"]
    spaced = []
    for i in range(4):  # six minutes apart: never more than two in ten minutes
        world.clock.advance(minutes=6)
        spaced.append(_scan(world, token, "in" if i % 2 == 0 else "out")["alerts"])
    assert spaced == [[], [], [], []]
    world.clock.advance(minutes=1)  # passages at 18, 24 and 25 minutes: three in ten
    assert _scan(world, token, "in")["alerts"] != []
    alert = world.call("grid_a1", "GET", "/api/community/alerts").json()[0]
    assert alert["kind"] == "frequent_access" and alert["detail"]["passages"] == 3


def test_visitors_have_a_host_and_a_time_window(world: World) -> None:
    _gate(world)
    body = {"name": "Visitor V", "phone": "13700001111", "purpose": "deliver medicine",
            "expected_from": "2026-11-23T01:00:00Z", "expected_until": "2026-11-23T03:00:00Z"}
    v = world.call("alice", "POST", "/api/community/visitors", json=body).json()
    assert v["host_resident_id"] == world.ids["alice"] and v["phone"] == "137****1111"
    inside = world.call("manager", "POST", "/api/community/gate-events",
                        json={"gate": "north", "direction": "in", "visitor_id": v["id"]}).json()
    assert inside["outcome"] == "admitted"
    world.clock.advance(hours=5)
    late = world.call("manager", "POST", "/api/community/gate-events",
                      json={"gate": "north", "direction": "in", "visitor_id": v["id"]}).json()
    assert late["outcome"] == "outside_window"
    bad = world.call("alice", "POST", "/api/community/visitors",
                     json={**body, "expected_until": "2026-11-22T00:00:00Z"})
    assert bad.status_code == 422
    assert [x["name"] for x in world.call("alice", "GET", "/api/community/visitors").json()] == [
        "Visitor V"]
    assert world.call("carol", "GET", "/api/community/visitors").json() == []


def test_self_registration_with_an_invitation_code(world: World) -> None:
    inv = world.call("grid_a1", "POST", "/api/community/invitations",
                     json={"place": "a1", "max_uses": 1}).json()
    assert inv["join_url"].endswith(f"/community/join?code={inv['code']}")
    body = {"code": inv["code"], "username": "erin", "password": PASSWORD,
            "grid": "a1", "building": "5", "room": "501", "name": "Erin Test",
            "phone": "13611112222"}
    r = world.call("anonymous", "POST", "/api/community/register", json=body)
    assert r.status_code == 201, r.text
    # Used up: a second registration with the same code is refused.
    again = world.call("anonymous", "POST", "/api/community/register",
                       json={**body, "username": "erin2"})
    assert again.status_code == 404
    token = world.client.post("/api/tokens", json={"username": "erin",
                                                  "password": PASSWORD}).json()["token"]
    me = world.client.get("/api/community/me/data",
                          headers={"Authorization": f"Bearer {token}"}).json()
    assert me["resident"]["registered_via"] == "self" and me["resident"]["phone"] == "13611112222"
    names = {r["name"] for r in world.call("grid_a1", "GET", "/api/community/residents").json()}
    assert "Erin Test" in names


def test_registration_problems_are_reported_together(world: World) -> None:
    r = world.call("grid_a1", "POST", "/api/community/residents",
                   json={"household_id": world.ids["h1"], "name": " ", "phone": "12",
                         "national_id": "110101199003074510", "birth_year": 1800})
    assert r.status_code == 422
    assert {p["where"] for p in r.json()["problems"]} == {
        "name", "phone", "national_id", "birth_year"}


def test_care_flags_need_a_purpose_and_consent(world: World) -> None:
    path = f"/api/community/residents/{world.ids['bob']}/care-flags"
    missing = world.call("grid_a1", "POST", path, json={"kind": "elderly_alone"})
    assert missing.status_code == 422
    ok = world.call("grid_a1", "POST", path, json={
        "kind": "elderly_alone", "purpose": "daily phone call during lockdown",
        "consent_by": "guardian"})
    assert ok.status_code == 201
    bob = world.call("alice", "GET", f"/api/community/residents/{world.ids['bob']}").json()
    assert bob["care"][0]["kind"] == "elderly_alone"
    assert bob["care"][0]["consent_by"] == "guardian"


def test_guessing_invitation_codes_is_throttled(world: World) -> None:
    """After RESCITY_REGISTRATION_MAX_FAILURES unknown codes from one client, even a valid
    code is refused (429, Retry-After) until the window passes; nothing is stored."""
    ctx = world.client.app.state.ctx  # type: ignore[attr-defined]
    ctx.registration_throttle.max_failures = 3
    inv = world.call("grid_a1", "POST", "/api/community/invitations",
                     json={"place": "a1", "max_uses": 1}).json()
    body = {"username": "guesser", "password": PASSWORD, "grid": "a1", "building": "5",
            "room": "502", "name": "Guess Test"}
    for n in range(3):
        r = world.call("anonymous", "POST", "/api/community/register",
                       json={**body, "code": f"WRONG{n}"})
        assert r.status_code == 404
    refused = world.call("anonymous", "POST", "/api/community/register",
                         json={**body, "code": inv["code"]})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    names = {r["name"] for r in world.call("grid_a1", "GET", "/api/community/residents").json()}
    assert "Guess Test" not in names
    # The page form answers the same client with the same refusal.
    page = world.client.get("/community/join", params={"code": inv["code"]})
    csrf = world.client.cookies.get("rescity_csrf")
    form = world.client.post("/community/join", data={
        **{k: v for k, v in body.items() if k != "password"}, "password": PASSWORD,
        "code": inv["code"], "csrf_token": csrf or ""}, headers={"X-CSRF-Token": csrf or ""})
    assert page.status_code == 200 and form.status_code == 429, form.text[:300]
    # Cleared (as when the window has passed), the valid code works.
    ctx.registration_throttle.succeeded("client:testclient")
    ok = world.call("anonymous", "POST", "/api/community/register",
                    json={**body, "code": inv["code"]})
    assert ok.status_code == 201, ok.text
