"""Volunteers act in their own community: registration, areas, matching, vetting."""

from __future__ import annotations

from rescity.core.accounts import User, grant_role, issue_api_token
from tests.community.casework import World, password_hash

from .test_help_api import KM, LAT, LON, ask, match, offers, volunteer


def test_nobody_becomes_a_volunteer_outside_their_community(world: World) -> None:
    w = world
    body = {"place": "a", "display_name": "X", "skills": ["shopping"], "languages": ["zh"]}
    for who in ("plain", "pmb", "analyst"):
        r = w.client.post("/api/community/volunteers", json=body, headers=w.h[who])
        assert r.status_code == 403, (who, r.text)
    far = w.client.post("/api/community/volunteers", json=body | {"place": "b"},
                        headers=w.h["res"])
    assert far.status_code == 403
    areas = w.client.post("/api/community/volunteers", json=body | {"areas": ["b1"]},
                          headers=w.h["res"])
    assert areas.status_code == 422 and "areas" in areas.text


def test_matching_never_offers_a_request_of_another_community(world: World) -> None:
    w = world
    volunteer(w, "vol")  # community a, 1 km from the request below
    other = w.client.post("/api/community/help", headers=w.h["admin"], json={
        "place": "b1", "kind": "medicine", "urgency": "high", "languages": ["zh"],
        "lat": LAT, "lon": LON, "channel": "phone", "description": "tablets",
        "contact_name": "Li", "contact_phone": "13812341234", "address": "b1 road"})
    assert other.status_code == 201, other.text
    assert match(w)["offers"] == 0
    assert offers(w, "vol") == []
    ask(w)  # the same request in community a is offered at once
    assert match(w)["offers"] == 1


def test_a_grid_worker_of_the_community_vets_its_volunteers(world: World) -> None:
    w = world
    v = volunteer(w, "vol", vetted=False, lat=LAT + KM)
    with w.uow() as uow:
        s = uow.session
        user = User(username="grida1", display_name="A1", language="en",
                    password_hash=password_hash())
        s.add(user)
        s.flush()
        grant_role(s, user, "grid_worker", w.places["a1"])
        grid_a1 = {"Authorization": f"Bearer {issue_api_token(s, user)}"}
        outsider = User(username="gridb1", display_name="B1", language="en",
                        password_hash=password_hash())
        s.add(outsider)
        s.flush()
        grant_role(s, outsider, "grid_worker", w.places["b1"])
        grid_b1 = {"Authorization": f"Bearer {issue_api_token(s, outsider)}"}
        uow.commit()
    vet = {"state": "vetted", "organisation": "Red Cross Putuo"}
    no = w.client.post(f"/api/community/volunteers/{v['id']}/vet", json=vet, headers=grid_b1)
    assert no.status_code == 403
    ok = w.client.post(f"/api/community/volunteers/{v['id']}/vet", json=vet, headers=grid_a1)
    assert ok.status_code == 200, ok.text
    assert ok.json()["vetting_state"] == "vetted"
