"""Help requests without coordinates match volunteers by the requester's household's grid,
and an open request says why no volunteer was found."""

from __future__ import annotations

from typing import Any

from rescity.community.help.adapters import HelpRequest
from rescity.community.residents.households import ensure_dwelling, new_household
from rescity.community.shared.adapters import Resident
from rescity.core.places import Place
from tests.community.casework import World


def home_in(w: World, who: str, grid: str) -> None:
    """Register ``who`` as a resident of a household in ``grid``."""
    with w.uow() as uow:
        s = uow.session
        place = s.get(Place, w.places[grid].id)
        assert place is not None
        household = new_household(s, ensure_dwelling(s, place, "1", "2", "101"))
        s.add(Resident(household_id=household.id, scope=place.path, user_id=w.users[who],
                       name=who.title(), registered_via="self"))
        uow.commit()


def volunteer(w: World, who: str, place: str) -> int:
    body = {"place": place, "display_name": who.title(), "skills": ["shopping", "pharmacy"],
            "languages": ["zh", "en"], "capacity": 2, "phone": "13700000000"}
    r = w.client.post("/api/community/volunteers", json=body, headers=w.h[who])
    assert r.status_code == 201, r.text
    vid = int(r.json()["id"])
    r = w.client.post(f"/api/community/volunteers/{vid}/vet", headers=w.h["grid"],
                      json={"state": "vetted", "organisation": "Red Cross Putuo"})
    assert r.status_code == 200, r.text
    return vid


def ask(w: World, who: str = "res", **over: Any) -> dict[str, Any]:
    body = {"place": "a", "kind": "groceries", "urgency": "normal", "languages": ["zh"],
            "description": "rice and vegetables", "contact_phone": "13812341234"} | over
    r = w.client.post("/api/community/help", json=body, headers=w.h[who])
    assert r.status_code == 201, r.text
    return dict(r.json())


def read(w: World, rid: int, who: str = "res") -> dict[str, Any]:
    r = w.client.get(f"/api/community/help/{rid}", headers=w.h[who])
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_a_request_without_coordinates_matches_volunteers_of_the_household_grid(
    world: World,
) -> None:
    w = world
    home_in(w, "res", "a1")
    rid = ask(w)["id"]
    assert read(w, rid)["unmatched_reason"] == "no_volunteer_in_area"
    volunteer(w, "vol2", "a2")  # another grid of the same community: not this one
    assert read(w, rid)["unmatched_reason"] == "no_volunteer_in_area"
    volunteer(w, "vol", "a1")
    assert read(w, rid)["unmatched_reason"] == "waiting_for_round"
    r = w.client.post("/api/community/help-match", headers=w.h["grid"])
    assert r.status_code == 200 and r.json()["offers"] == 1, r.text
    mine = w.client.get("/api/community/help-offers/mine", headers=w.h["vol"]).json()
    others = w.client.get("/api/community/help-offers/mine", headers=w.h["vol2"]).json()
    assert [o["request_id"] for o in mine] == [rid] and others == []
    after = read(w, rid)
    assert after["status"] == "offered" and after["unmatched_reason"] is None


def test_the_help_page_shows_why_a_request_is_unmatched(world: World) -> None:
    w = world
    home_in(w, "res", "a1")
    ask(w)
    page = w.client.get("/community/help", headers=w.h["res"])  # res reads English
    assert page.status_code == 200
    assert "No volunteer serves this grid yet." in page.text
    w.client.cookies.set("rescity_lang", "zh")
    page = w.client.get("/community/help", headers=w.h["res"])
    assert "本网格暂无志愿者" in page.text


def test_a_request_with_coordinates_lands_in_the_grid_containing_them(world: World) -> None:
    from tests.community.cases.test_location_routing import BEIJING, IN_A2, draw

    w = world
    draw(w)
    rid = ask(w, "grid", channel="phone", lat=IN_A2[0], lon=IN_A2[1])["id"]
    with w.uow() as uow:
        req = uow.session.get(HelpRequest, rid)
        assert req is not None and req.scope == w.places["a2"].path
    body = {"place": "a", "kind": "groceries", "contact_phone": "13812341234",
            "lat": BEIJING[0], "lon": BEIJING[1], "channel": "phone"}
    r = w.client.post("/api/community/help", json=body, headers=w.h["grid"])
    assert r.status_code in (400, 422) and "lat/lon" in r.text
