"""Routing by location: reports with coordinates land in the grid that contains them, an
Open311 key limits where a client may report, escalation climbs the hierarchy, and a
reporter follows a merged request to the one that survived."""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import box

from rescity.community.alerts.adapters import Alert
from rescity.community.cases.adapters import Handler, WorkOrder
from rescity.community.cases.open311 import create_client
from rescity.community.cases.sweep import sweep
from rescity.community.shared.location import place_of_point
from rescity.core.accounts import User, grant_role, issue_api_token, principal_of
from rescity.core.boundaries.importer import set_boundary
from rescity.core.errors import InputError
from rescity.core.places import Place
from tests.community.casework import World, password_hash

# Schematic boundaries around the existing tests' point (121.4, 31.2): grids a1 | a2 | b1
# side by side, a1 and a2 sharing the edge lon = 121.405; the city is a box around Shanghai.
BOXES = {
    "a1": (121.395, 31.195, 121.405, 31.205),
    "a2": (121.405, 31.195, 121.415, 31.205),
    "b1": (121.415, 31.195, 121.425, 31.205),
    "a": (121.395, 31.195, 121.415, 31.205),
    "b": (121.415, 31.195, 121.425, 31.205),
    "s": (121.395, 31.195, 121.425, 31.205),
    "d": (121.3, 31.1, 121.5, 31.3),
    "c": (120.8, 30.6, 122.2, 31.9),
}
IN_A2 = (31.2, 121.41)       # (lat, long)
EDGE_A1_A2 = (31.2, 121.405)
IN_B1 = (31.2, 121.42)
IN_CITY_ONLY = (31.6, 121.6)
BEIJING = (39.9042, 116.4074)


def draw(w: World) -> None:
    with w.uow() as uow:
        for code, bounds in BOXES.items():
            place = uow.session.get(Place, w.places[code].id)
            assert place is not None
            set_boundary(place, box(*bounds))
        uow.commit()


def staff(w: World, name: str, role: str, place: str) -> dict[str, str]:
    """A further user with ``role`` on ``place``; their bearer header."""
    with w.uow() as uow:
        s = uow.session
        user = User(username=name, display_name=name, language="en",
                    password_hash=password_hash())
        s.add(user)
        s.flush()
        grant_role(s, user, role, s.get(Place, w.places[place].id))  # type: ignore[arg-type]
        token = issue_api_token(s, user)
        w.users[name] = user.id
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


def key_for(w: World, place: str) -> str:
    with w.uow() as uow:
        admin = principal_of(uow.session.get(User, w.users["admin"]))  # type: ignore[arg-type]
        return create_client(uow, admin, name=f"client {place}", place=w.places[place])


def post(w: World, key: str, at: tuple[float, float], **fields: Any) -> Any:
    data = {"api_key": key, "service_code": "waste", "lat": str(at[0]), "long": str(at[1]),
            "description": "bins overflowing"} | fields
    return w.client.post("/open311/v2/requests.json", data=data)


def case(w: World, case_id: int | str) -> WorkOrder:
    with w.uow() as uow:
        found = uow.session.get(WorkOrder, int(case_id))
        assert found is not None
        uow.session.expunge(found)
        return found


@pytest.fixture
def w(world: World) -> World:
    draw(world)
    return world


def test_points_inside_on_the_edge_and_outside(w: World) -> None:
    with w.uow() as uow:
        s = uow.session
        located = place_of_point(s, *IN_A2)
        assert located is not None and located.code == "a2"
        edge = place_of_point(s, *EDGE_A1_A2)
        assert edge is not None and edge.code == "a1"  # shared edge: the smaller code
        within_a = s.get(Place, w.places["a"].id)
        assert place_of_point(s, *IN_A2, within=within_a).code == "a2"  # type: ignore[union-attr]
        with pytest.raises(InputError) as outside:
            place_of_point(s, *BEIJING)
        assert outside.value.problems[0].where == "lat/long"
        with pytest.raises(InputError) as elsewhere:
            place_of_point(s, *IN_B1, within=within_a)
        assert "b1" in str(elsewhere.value) and "lat/long" in str(elsewhere.value)
        assert place_of_point(s, None, None) is None


def test_an_open311_report_lands_in_its_grid_and_reaches_its_grid_worker(w: World) -> None:
    worker_a2 = staff(w, "grid_a2", "grid_worker", "a2")
    key = key_for(w, "a")
    r = post(w, key, IN_A2)
    assert r.status_code == 200, r.text
    cid = r.json()[0]["service_request_id"]
    filed = case(w, cid)
    assert filed.scope == w.places["a2"].path
    with w.uow() as uow:
        handler = uow.session.get(Handler, filed.handler_id)
        assert handler is not None and handler.code == "pm-a"  # waste: the property manager
    seen = w.client.get(f"/api/community/cases/{cid}", headers=worker_a2)
    assert seen.status_code == 200 and seen.json()["id"] == int(cid)
    on_edge = post(w, key, EDGE_A1_A2, service_code="streetlight")
    assert case(w, on_edge.json()[0]["service_request_id"]).scope == w.places["a1"].path


def test_the_key_limits_where_a_client_may_report(w: World) -> None:
    key = key_for(w, "a")
    beijing = post(w, key, BEIJING)
    assert beijing.status_code == 400
    [err] = beijing.json()
    assert err["code"] == 400 and err["description"].startswith("lat/long:")
    assert "outside every place boundary" in err["description"]
    other = post(w, key, IN_B1)
    assert other.status_code == 400 and "lat/long" in other.json()[0]["description"]
    assert "b1" in other.json()[0]["description"]
    city_key = key_for(w, "c")  # a city-wide key may report anywhere in the city
    far = post(w, city_key, IN_CITY_ONLY)
    assert far.status_code == 200
    assert case(w, far.json()[0]["service_request_id"]).scope == w.places["c"].path
    assert post(w, city_key, BEIJING).status_code == 400


def test_without_boundaries_the_key_place_is_kept(world: World) -> None:
    key = key_for(world, "a")
    r = post(world, key, BEIJING)  # nothing to test the point against: as before
    assert r.status_code == 200
    assert case(world, r.json()[0]["service_request_id"]).scope == world.places["a"].path


def test_a_case_filed_in_the_app_with_coordinates_lands_in_its_grid(w: World) -> None:
    body = {"service_code": "waste", "place": "a", "lat": IN_A2[0], "lon": IN_A2[1],
            "channel": "grid_worker"}
    r = w.client.post("/api/community/cases", json=body, headers=w.h["grid"])
    assert r.status_code in (200, 201), r.text
    assert case(w, r.json()["id"]).scope == w.places["a2"].path
    body |= {"lat": IN_B1[0], "lon": IN_B1[1]}
    refused = w.client.post("/api/community/cases", json=body, headers=w.h["grid"])
    assert refused.status_code in (400, 422) and "lat/long" in refused.text


def test_an_overdue_case_escalates_one_place_up_to_another_recipient(w: World) -> None:
    staff(w, "grid_a1", "grid_worker", "a1")  # "grid" works on the community a
    key = key_for(w, "a")
    cid = int(post(w, key, (31.2, 121.40), service_code="streetlight")
              .json()[0]["service_request_id"])
    assert case(w, cid).scope == w.places["a1"].path
    for hours in (24 + 1, 12, 12):  # utilities: 24 h, then a level every 12 h
        w.clock.advance(hours=hours)
        with w.uow() as uow:
            sweep(uow, w.rt)
    with w.uow() as uow:
        alerts = {a.detail["level"]: (a.scope, a.assignee_id) for a in uow.session.query(Alert)
                  .filter(Alert.subject_type == "case", Alert.subject_id == cid)}
    assert alerts[1] == (w.places["a1"].path, w.users["grid_a1"])
    assert alerts[2] == (w.places["a"].path, w.users["grid"])
    # No grid worker on the sub-district: the department serving it (dept-d) gets level 3.
    assert alerts[3] == (w.places["s"].path, w.users["dept"])


def test_a_reporter_follows_a_merged_request_to_the_survivor(w: World) -> None:
    key = key_for(w, "a")
    first = post(w, key, IN_A2).json()[0]["service_request_id"]
    second = post(w, key, IN_A2).json()[0]["service_request_id"]
    r = w.client.get(f"/open311/v2/requests/{second}.json")
    assert r.json()[0]["status"] == "open"
    assert r.json()[0]["merged_into_service_request_id"] is None
    w.clock.advance(minutes=5)
    merged = w.client.post(f"/api/community/cases/{second}/merge", json={"into": int(first)},
                           headers=w.h["grid"])
    assert merged.status_code == 200, merged.text
    [req] = w.client.get(f"/open311/v2/requests/{second}.json").json()
    assert req["status"] == "closed"
    assert req["merged_into_service_request_id"] == first
    assert first in req["status_notes"]
    assert req["updated_datetime"] != req["requested_datetime"]
