"""Help requests through the JSON API: the whole lifecycle, re-matching and safeguarding."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rescity.community.alerts.adapters import Alert
from rescity.core.audit import AuditEntry
from tests.community.casework import World

LAT, LON = 31.2000, 121.4000
KM = 1 / 110.574


def volunteer(w: World, who: str, *, vetted: bool = True, **over: Any) -> dict[str, Any]:
    """Register ``who`` as a volunteer (the answer: pending vetting), then have them vetted
    unless ``vetted`` is false: only vetted volunteers are offered requests."""
    body = {"place": "a", "display_name": who.title(), "skills": ["shopping", "pharmacy"],
            "languages": ["zh", "en"], "lat": LAT + KM, "lon": LON, "radius_km": 3,
            "capacity": 2, "phone": "13700000000"} | over
    r = w.client.post("/api/community/volunteers", json=body, headers=w.h[who])
    assert r.status_code == 201, r.text
    if vetted:
        vet(w, int(r.json()["id"]))
    return dict(r.json())


def vet(w: World, vid: int) -> None:
    r = w.client.post(f"/api/community/volunteers/{vid}/vet", headers=w.h["grid"],
                      json={"state": "vetted", "organisation": "Red Cross Putuo"})
    assert r.status_code == 200, r.text


def ask(w: World, who: str = "res", **over: Any) -> dict[str, Any]:
    body = {"place": "a1", "kind": "medicine", "urgency": "high", "languages": ["zh"],
            "lat": LAT, "lon": LON, "description": "insulin from the pharmacy on 2nd Road",
            "contact_name": "Wang Fang", "contact_phone": "13812341234",
            "address": "Block 3, room 101"} | over
    r = w.client.post("/api/community/help", json=body, headers=w.h[who])
    assert r.status_code == 201, r.text
    return dict(r.json())


def match(w: World) -> dict[str, Any]:
    r = w.client.post("/api/community/help-match", headers=w.h["grid"])
    assert r.status_code == 200, r.text
    return dict(r.json())


def offers(w: World, who: str) -> list[dict[str, Any]]:
    return list(w.client.get("/api/community/help-offers/mine", headers=w.h[who]).json())


def test_the_full_request_lifecycle_with_contact_revealed_only_after_acceptance(
    world: World,
) -> None:
    w = world
    v = volunteer(w, "vol", vetted=False)
    assert v["vetting_state"] == "pending"
    req = ask(w, money_handling=True)
    rid = req["id"]
    assert req["status"] == "open"
    assert match(w)["offers"] == 0  # pending vetting: offered nothing
    assert w.client.get(f"/api/community/help/{rid}", headers=w.h["res"]).json()[
        "unmatched_reason"] == "no_vetted_volunteer"
    vet(w, v["id"])
    assert match(w)["offers"] == 1
    [offer] = offers(w, "vol")
    assert offer["request_id"] == rid and offer["description"] is None
    assert "Wang" not in str(offer) and "1381234" not in str(offer)
    assert w.client.get(f"/api/community/help/{rid}/contact", headers=w.h["vol"]).status_code \
        == 404
    r = w.client.post(f"/api/community/help-offers/{offer['id']}/accept", headers=w.h["vol"])
    assert r.json() == {"state": "accepted"}
    contact = w.client.get(f"/api/community/help/{rid}/contact", headers=w.h["vol"]).json()
    assert contact == {"name": "Wang Fang", "phone": "13812341234",
                       "address": "Block 3, room 101"}
    assert offers(w, "vol")[0]["description"].startswith("insulin")
    assert w.client.post(f"/api/community/help/{rid}/start", headers=w.h["vol"]).json()[
        "status"] == "in_progress"
    no_receipt = w.client.post(f"/api/community/help/{rid}/deliver", headers=w.h["vol"])
    assert no_receipt.status_code == 422 and "receipt" in no_receipt.text
    rec = w.client.post(f"/api/community/help/{rid}/receipts", headers=w.h["vol"],
                        json={"amount_cents": 4250, "items": "insulin pens x2"})
    assert rec.status_code == 201
    done = w.client.post(f"/api/community/help/{rid}/deliver", headers=w.h["vol"]).json()
    assert done["status"] == "delivered" and done["volunteers"] == ["Vol"]
    assert w.client.post(f"/api/community/help/{rid}/confirm", headers=w.h["res2"]).status_code \
        == 404
    confirmed = w.client.post(f"/api/community/help/{rid}/confirm", headers=w.h["res"]).json()
    assert confirmed["status"] == "confirmed"
    assert w.client.get("/api/community/volunteers/me", headers=w.h["vol"]).json()[
        "completed"] == 1
    closed = w.client.get(f"/api/community/help/{rid}/contact", headers=w.h["vol"])
    assert closed.status_code == 403  # no contact details once the request is closed
    with w.uow() as uow:
        reads = uow.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "community.help.contact")).all()
        assert [(a.actor, a.kind, a.purpose) for a in reads] == [("vol", "read", "delivery")]


def test_a_decline_and_an_expiry_lead_to_re_matching_and_then_escalation(world: World) -> None:
    w = world
    volunteer(w, "vol")
    volunteer(w, "vol2", lat=LAT + 2 * KM)  # farther: second choice
    rid = ask(w)["id"]
    match(w)
    [first] = offers(w, "vol")
    w.client.post(f"/api/community/help-offers/{first['id']}/decline", headers=w.h["vol"])
    assert w.client.get(f"/api/community/help/{rid}", headers=w.h["res"]).json()["status"] \
        == "open"
    assert match(w)["offers"] == 1
    [second] = offers(w, "vol2")
    assert second["request_id"] == rid
    w.clock.advance(minutes=31)  # the offer (30 min) expires unanswered
    r = match(w)
    assert (r["expired"], r["offers"]) == (1, 0)  # nobody left who was not asked
    assert w.client.get("/api/community/volunteers/me", headers=w.h["vol2"]).json()[
        "failed"] == 1
    volunteer(w, "res2", skills=["shopping"], lat=LAT + 0.5 * KM)  # a neighbour volunteers
    match(w)
    [third] = offers(w, "res2")
    w.client.post(f"/api/community/help-offers/{third['id']}/decline", headers=w.h["res2"])
    state = w.client.get(f"/api/community/help/{rid}", headers=w.h["grid"]).json()
    assert state["status"] == "escalated" and state["attempts"] == 3
    with w.uow() as uow:
        [alert] = uow.session.scalars(select(Alert)).all()
        assert (alert.kind, alert.source, alert.assignee_id) == (
            "help_unmatched", "help", w.users["grid"])
    # the professional (coordinator) assigns someone directly: an offer the volunteer accepts
    vol_id = w.client.get("/api/community/volunteers/me", headers=w.h["vol"]).json()["id"]
    assigned = w.client.post(f"/api/community/help/{rid}/assign", headers=w.h["grid"],
                             json={"volunteer_id": vol_id}).json()
    assert assigned["status"] == "offered" and assigned["volunteers"] == []
    assert w.client.get(f"/api/community/help/{rid}/contact", headers=w.h["vol"]).status_code \
        == 404  # no contact details before the volunteer accepts
    [direct] = [o for o in offers(w, "vol") if o["request_id"] == rid and o["state"] == "offered"]
    w.client.post(f"/api/community/help-offers/{direct['id']}/accept", headers=w.h["vol"])
    state = w.client.get(f"/api/community/help/{rid}", headers=w.h["grid"]).json()
    assert state["status"] == "accepted" and state["volunteers"] == ["Vol"]
    assert w.client.get(f"/api/community/help/{rid}/contact", headers=w.h["vol"]).status_code \
        == 200


def test_unvetted_volunteers_never_reach_vulnerable_people_and_home_visits_go_in_pairs(
    world: World,
) -> None:
    w = world
    v1 = volunteer(w, "vol", vetted=False)
    v2 = volunteer(w, "vol2", vetted=False)
    req = ask(w, vulnerable=True, home_visit=True)
    assert req["volunteers_needed"] == 2
    assert match(w)["offers"] == 0
    vet(w, v1["id"])
    assert match(w)["offers"] == 0  # a pair is needed: one vetted volunteer is not enough
    direct = w.client.post(f"/api/community/help/{req['id']}/assign", headers=w.h["grid"],
                           json={"volunteer_id": v2["id"]})
    assert direct.status_code == 422 and "vetted" in direct.text
    vet(w, v2["id"])
    assert match(w)["offers"] == 2
    for who in ("vol", "vol2"):
        [o] = offers(w, who)
        w.client.post(f"/api/community/help-offers/{o['id']}/accept", headers=w.h[who])
    assert w.client.get(f"/api/community/help/{req['id']}", headers=w.h["res"]).json()[
        "status"] == "accepted"
    # vetting expires: after a year the volunteer no longer counts as vetted
    w.clock.advance(days=366)
    ask(w, vulnerable=True)
    assert match(w)["offers"] == 0


def test_bad_requests_list_their_problems(world: World) -> None:
    r = world.client.post("/api/community/help", headers=world.h["res"], json={
        "place": "a1", "kind": "teleport", "urgency": "now", "languages": ["klingon"],
        "lat": 31.2})
    assert r.status_code == 422
    where = {p["where"] for p in r.json()["problems"]}
    assert where == {"kind", "urgency", "languages", "lat/lon", "contact"}
