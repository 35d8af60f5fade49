"""Volunteers of a grid, through the API on both backends: sign-up (pending, offered nothing),
vetting by the grid's workers only (approve, reject, suspend, with reasons, audited), shifts
deciding who is offered a request, the reason a request stays unmatched, and phones masked
except for a stated purpose by those allowed to see them (each reading audited).

``TABLE`` is this file's part of the role matrix (tests/community/shared/test_role_matrix.py
checks that every /api/community endpoint has a row somewhere)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rescity.core.accounts import User, grant_role, issue_api_token
from rescity.core.audit import AuditEntry
from rescity.web.context import CSRF_COOKIE
from tests.community.cases.test_authz import ANON, Row, check
from tests.community.casework import World, password_hash

# The test clock starts on Monday 2026-03-02 at 09:00 in Shanghai (01:00 UTC).
ON_SHIFT = [{"day": "mon", "start": "08:00", "end": "10:00"}]
OFF_SHIFT = [{"day": "mon", "start": "18:00", "end": "02:00"}]  # Monday night into Tuesday
SIGNUP = {"grid": "a1", "display_name": "Zhou Min", "phone": "13912345678",
          "skills": ["shopping", "pharmacy"], "languages": ["zh"], "slots": ON_SHIFT,
          "consent": True}

TABLE: list[Row] = [
    # Anyone signed in may sign up for any grid (pending until that grid's worker vets them);
    # someone not signed in creates an account in the same step (see the tests below: an
    # anonymous call needs the CSRF double-submit cookie, which this table does not send).
    Row("POST", "/api/community/volunteer-signup",
        {"res": 201, "res2": 201, "vol": 201, "vol2": 201, "grid": 201, "admin": 201,
         "dept": 201, "pma": 201, "pmb": 201, "analyst": 201, "plain": 201, ANON: 403}, 403,
        body=SIGNUP),
    Row("PUT", "/api/community/volunteers/me/slots", {ANON: 403}, 200,
        body={"slots": OFF_SHIFT}),
    Row("GET", "/api/community/volunteers", {"grid": 200, "admin": 200, ANON: 401}, 403),
    Row("GET", "/api/community/volunteers?purpose=coordination",
        {"grid": 200, "admin": 200, ANON: 401}, 403),
]


def test_every_volunteer_endpoint_answers_each_role_as_the_policy_says(world: World) -> None:
    wrong = check(world, TABLE, lambda w, row: 0)
    assert wrong == [], "\n".join(wrong)


def staff(w: World, name: str, role: str, place: str) -> dict[str, str]:
    """A user with ``role`` on ``place``; their bearer header."""
    with w.uow() as uow:
        s = uow.session
        user = User(username=name, display_name=name, language="en",
                    password_hash=password_hash())
        s.add(user)
        s.flush()
        grant_role(s, user, role, w.places[place])
        token = issue_api_token(s, user)
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


def anonymous_signup(w: World, **over: Any) -> Any:
    w.client.cookies.set(CSRF_COOKIE, "t0ken-for-the-test")
    try:
        return w.client.post("/api/community/volunteer-signup",
                             headers={"X-CSRF-Token": "t0ken-for-the-test"},
                             json=SIGNUP | {"username": "zhoumin",
                                            "password": "a long password"} | over)
    finally:
        w.client.cookies.clear()


def login(w: World, username: str) -> dict[str, str]:
    with w.uow() as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        assert user is not None
        token = issue_api_token(uow.session, user)
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


def ask(w: World, **over: Any) -> int:
    """A request for grid a1 with no coordinates, needed now (it has no window)."""
    body = {"place": "a1", "kind": "groceries", "languages": ["zh"],
            "contact_phone": "13812341234", "channel": "phone"} | over
    r = w.client.post("/api/community/help", json=body, headers=w.h["grid"])
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def reason(w: World, rid: int) -> str | None:
    body = w.client.get(f"/api/community/help/{rid}", headers=w.h["grid"]).json()
    return str(body["unmatched_reason"]) if body["unmatched_reason"] else None


def match(w: World) -> int:
    r = w.client.post("/api/community/help-match", headers=w.h["grid"])
    assert r.status_code == 200, r.text
    return int(r.json()["offers"])


def vet(w: World, vid: int, who: dict[str, str], **body: Any) -> Any:
    return w.client.post(f"/api/community/volunteers/{vid}/vet", headers=who,
                         json={"state": "vetted", "organisation": "Red Cross Putuo"} | body)


def audit_rows(w: World, action: str) -> list[AuditEntry]:
    with w.uow() as uow:
        rows = list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                        .order_by(AuditEntry.id)))
        uow.session.expunge_all()
        return rows


def test_a_sign_up_waits_for_vetting_and_is_offered_nothing_until_then(world: World) -> None:
    w = world
    r = anonymous_signup(w)
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    assert r.json()["vetting_state"] == "pending" and r.json()["slots"] == ON_SHIFT
    me = login(w, "zhoumin")  # the account was created with the sign-up
    assert w.client.get("/api/community/volunteers/me", headers=me).json()["id"] == vid
    rid = ask(w)
    assert reason(w, rid) == "no_vetted_volunteer"
    assert match(w) == 0
    assert w.client.get("/api/community/help-offers/mine", headers=me).json() == []
    grid_a1 = staff(w, "grida1", "grid_worker", "a1")
    assert vet(w, vid, grid_a1).status_code == 200
    assert reason(w, rid) == "waiting_for_round"
    assert match(w) == 1
    [offer] = w.client.get("/api/community/help-offers/mine", headers=me).json()
    assert offer["request_id"] == rid
    # approval gave the volunteer role on the grid: the offer can be accepted
    ok = w.client.post(f"/api/community/help-offers/{offer['id']}/accept", headers=me)
    assert ok.status_code == 200, ok.text
    # the decision reached the volunteer (in the outbox, in their language)
    from rescity.core.notifications.models import Notification
    with w.uow() as uow:
        told = list(uow.session.scalars(select(Notification).where(
            Notification.kind == "help.vetting")))
        assert [n.subject for n in told] == ["您已通过志愿者审核"]  # signed up in Chinese
    [signed] = audit_rows(w, "community.volunteer.sign_up")
    assert signed.record_id == str(vid) and signed.detail["new_account"] is True
    # the phone is sealed at rest
    from rescity.community.help.adapters import Volunteer
    with w.uow() as uow:
        v = uow.session.get(Volunteer, vid)
        assert v is not None and v.phone_sealed and "13912345678" not in v.phone_sealed
        assert v.consent_at is not None and v.consent_version


def test_a_sign_up_needs_consent_a_phone_a_grid_and_good_shifts(world: World) -> None:
    w = world
    r = anonymous_signup(w, consent=False, phone="", grid="a",
                         slots=[{"day": "mon", "start": "09:00", "end": "09:00"}])
    assert r.status_code == 422
    where = {p["where"] for p in r.json()["problems"]}
    assert {"consent", "phone", "grid"} <= where
    bad = anonymous_signup(w, slots=[{"day": "monday", "start": "25:00", "end": "10:00"}])
    assert bad.status_code == 422
    assert {p["where"] for p in bad.json()["problems"]} >= {"slots[0].day", "slots[0].start"}
    with w.uow() as uow:  # nothing half-written: no account either
        assert uow.session.scalar(select(User).where(User.username == "zhoumin")) is None


def test_only_volunteers_on_shift_are_offered_and_the_reason_says_so(world: World) -> None:
    w = world
    grid_a1 = staff(w, "grida1", "grid_worker", "a1")
    vid = anonymous_signup(w, slots=OFF_SHIFT).json()["id"]
    assert vet(w, vid, grid_a1).status_code == 200
    rid = ask(w)
    assert reason(w, rid) == "no_volunteer_available"
    assert match(w) == 0
    # a request needed on Monday evening (10:00–11:00 UTC is 18:00–19:00 in Shanghai) is
    later = ask(w, window_start="2026-03-02T10:00:00Z", window_end="2026-03-02T11:00:00Z")
    assert match(w) == 1
    me = login(w, "zhoumin")
    assert [o["request_id"] for o in w.client.get("/api/community/help-offers/mine",
                                                   headers=me).json()] == [later]
    # the volunteer changes their shifts to this morning: the first request is offered too
    r = w.client.put("/api/community/volunteers/me/slots", headers=me, json={"slots": ON_SHIFT})
    assert r.status_code == 200 and r.json()["slots"] == ON_SHIFT
    assert reason(w, rid) == "waiting_for_round"
    assert match(w) == 1


def test_the_help_page_shows_that_nobody_is_on_shift(world: World) -> None:
    w = world
    grid_a1 = staff(w, "grida1", "grid_worker", "a1")
    vid = anonymous_signup(w, slots=OFF_SHIFT).json()["id"]
    vet(w, vid, grid_a1)
    ask(w)
    page = w.client.get("/community/help", headers=w.h["grid"])
    assert "No volunteer here is on shift at the time this help is needed." in page.text


def test_only_workers_of_the_volunteers_grid_or_above_vet_them(world: World) -> None:
    w = world
    vid = anonymous_signup(w).json()["id"]
    grid_a2 = staff(w, "grida2", "grid_worker", "a2")  # same community, another grid
    grid_b1 = staff(w, "gridb1", "grid_worker", "b1")
    for who in (grid_a2, grid_b1, w.h["res"], w.h["vol"], w.h["pma"]):
        assert vet(w, vid, who).status_code == 403
    grid_a1 = staff(w, "grida1", "grid_worker", "a1")
    assert vet(w, vid, grid_a1).json()["vetting_state"] == "vetted"
    assert vet(w, vid, w.h["grid"], state="suspended", reason="missed two deliveries"
               ).json()["vetting_state"] == "suspended"  # the community's worker, above it
    assert audit_rows(w, "community.volunteer.vet")[-1].detail["reason"] == \
        "missed two deliveries"
    # a worker of another grid does not even see them
    listed = w.client.get("/api/community/volunteers", headers=grid_a2).json()
    assert listed == []


def test_decisions_need_reasons_follow_the_states_and_suspension_withdraws_offers(
    world: World,
) -> None:
    w = world
    vid = anonymous_signup(w).json()["id"]
    grid_a1 = staff(w, "grida1", "grid_worker", "a1")
    no_reason = vet(w, vid, grid_a1, state="rejected")
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    assert vet(w, vid, grid_a1, state="suspended", reason="x").status_code == 409  # pending
    assert vet(w, vid, grid_a1).status_code == 200
    rid = ask(w)
    assert match(w) == 1
    r = vet(w, vid, grid_a1, state="suspended", reason="complaint under review")
    assert r.status_code == 200 and r.json()["vetting_reason"] == "complaint under review"
    me = login(w, "zhoumin")
    [offer] = w.client.get("/api/community/help-offers/mine", headers=me).json()
    assert offer["state"] == "withdrawn"
    assert w.client.get(f"/api/community/help/{rid}", headers=w.h["grid"]).json()[
        "status"] == "open"
    assert match(w) == 0  # suspended: not offered again
    assert reason(w, rid) == "no_volunteer_in_area"
    assert vet(w, vid, grid_a1).status_code == 200  # reinstated
    assert reason(w, rid) == "waiting_for_round"
    assert match(w) == 1  # a withdrawn offer does not count against them
    rows = audit_rows(w, "community.volunteer.vet")
    assert [r.detail["state"] for r in rows] == ["vetted", "suspended", "vetted"]
    assert rows[1].detail["withdrawn"] == 1


def test_phones_are_masked_unless_an_allowed_role_states_a_purpose(world: World) -> None:
    w = world
    vid = anonymous_signup(w).json()["id"]
    health = staff(w, "health_a", "health_officer", "a")
    [row] = w.client.get("/api/community/volunteers", headers=health).json()
    assert row["phone"] == "139****5678" and row["phone_revealed"] is False
    refused = w.client.get("/api/community/volunteers?purpose=coordination", headers=health)
    assert refused.status_code == 403
    [row] = w.client.get("/api/community/volunteers", headers=w.h["grid"]).json()
    assert row["phone"] == "139****5678"
    assert audit_rows(w, "community.volunteer.reveal") == []
    bad = w.client.get("/api/community/volunteers?purpose=curiosity", headers=w.h["grid"])
    assert bad.status_code == 422 and "purpose" in bad.text
    [row] = w.client.get("/api/community/volunteers?purpose=coordination",
                         headers=w.h["grid"]).json()
    assert row["phone"] == "13912345678" and row["phone_revealed"] is True
    [read] = audit_rows(w, "community.volunteer.reveal")
    assert read.kind == "read" and read.purpose == "coordination"
    assert read.detail["volunteers"] == [vid]


def test_the_search_filters_by_skill_grid_state_and_who_is_free_now(world: World) -> None:
    w = world
    grid_a1 = staff(w, "grida1", "grid_worker", "a1")
    a = anonymous_signup(w).json()["id"]
    b = anonymous_signup(w, username="lihua", grid="a2", skills=["driving"],
                         slots=OFF_SHIFT).json()["id"]
    c = anonymous_signup(w, username="wuyan", skills=["phone_support"]).json()["id"]
    vet(w, a, grid_a1)
    vet(w, b, w.h["grid"])

    def ids(query: str, who: dict[str, str] = w.h["grid"]) -> list[int]:
        r = w.client.get(f"/api/community/volunteers{query}", headers=who)
        assert r.status_code == 200, r.text
        return sorted(v["id"] for v in r.json())

    assert ids("") == [a, b, c]
    assert ids("?skill=driving") == [b]
    assert ids("?grid=a1") == [a, c]
    assert ids("?state=pending") == [c]
    assert ids("?available_now=true") == [a]  # b is vetted but off shift, c not vetted
    assert ids("", grid_a1) == [a, c]         # a grid worker sees their grid only
    bad = w.client.get("/api/community/volunteers?skill=juggling&grid=zz",
                       headers=w.h["grid"])
    assert bad.status_code == 422
    assert {p["where"] for p in bad.json()["problems"]} == {"skill", "grid"}


def test_a_grid_volunteer_without_a_home_point_serves_requests_located_in_the_grid(
    world: World,
) -> None:
    from tests.community.cases.test_location_routing import IN_A2, draw

    w = world
    draw(w)  # grid boundaries: a request's coordinates place it in a grid
    grid_a2 = staff(w, "grida2", "grid_worker", "a2")
    vid = anonymous_signup(w, grid="a2").json()["id"]
    vet(w, vid, grid_a2)
    rid = ask(w, place="a", lat=IN_A2[0], lon=IN_A2[1])
    assert reason(w, rid) == "waiting_for_round"
    assert match(w) == 1
    elsewhere = anonymous_signup(w, username="lihua", grid="a1").json()["id"]
    vet(w, elsewhere, w.h["grid"])
    assert ask(w, place="a", lat=IN_A2[0], lon=IN_A2[1]) and match(w) == 1  # not a1's
    offered = w.client.get("/api/community/help-offers/mine", headers=login(w, "lihua")).json()
    assert offered == []
