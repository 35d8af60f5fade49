"""The staff map: each reader gets the open items of the places they look after, and
nothing personal; items without coordinates are counted at their grid (both backends)."""

from __future__ import annotations

from typing import Any

import shapely

from tests.community.casework import World
from tests.community.maps.helpers import IN_A1, IN_B1, city


def items(w: World, headers: dict[str, str], query: str = "") -> dict[str, Any]:
    r = w.client.get(f"/api/community/map{query}", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def ids(body: dict[str, Any]) -> set[str]:
    return {f["properties"]["public_id"] for f in body["features"]}


def test_a_grid_worker_gets_only_their_grids_items(world: World) -> None:
    c = city(world)
    i, h = c["ids"], c["h"]
    assert ids(items(world, h["gw_a1"])) == {f"C{i['case_a1']}", f"A{i['alert_a1']}"}
    assert ids(items(world, h["gw_b1"])) == {f"H{i['help_b1']}", f"A{i['alert_b1']}"}
    # community staff (grid worker on community a) see both of a's grids, nothing of b
    assert ids(items(world, world.h["grid"])) == {
        f"C{i['case_a1']}", f"C{i['case_a2']}", f"A{i['alert_a1']}"}
    assert len(items(world, world.h["admin"])["features"]) == 5
    # a department reads cases only: no help or alert layer at all
    dept = items(world, world.h["dept"])
    assert dept["kinds"] == ["case"]
    assert {f["properties"]["kind"] for f in dept["features"]} == {"case"}


def test_people_without_a_staff_role_are_refused(world: World) -> None:
    city(world)
    for who in ("res", "vol", "analyst", "plain"):
        r = world.client.get("/api/community/map", headers=world.h[who])
        assert r.status_code == 403, (who, r.text)
    assert world.client.get("/api/community/map").status_code == 401
    page = world.client.get("/community/map", headers=world.h["res"])
    assert page.status_code == 403


def test_the_map_carries_no_personal_data(world: World) -> None:
    city(world)
    text = world.client.get("/api/community/map", headers=world.h["admin"]).text
    for secret in ("Zhao", "13912345678", "Wang Lei", "bins"):
        assert secret not in text
    props = items(world, world.h["admin"])["features"][0]["properties"]
    assert set(props) == {"kind", "id", "public_id", "type", "status", "type_label",
                          "status_label", "located", "grid", "colour", "link"}


def test_items_without_coordinates_are_counted_at_a_point_inside_their_grid(world: World) -> None:
    c = city(world)
    body = items(world, world.h["grid"])
    by_id = {f["properties"]["public_id"]: f for f in body["features"]}
    located = by_id[f"C{c['ids']['case_a1']}"]
    assert located["properties"]["located"] is True
    assert located["geometry"]["coordinates"] == [IN_A1[1], IN_A1[0]]
    unlocated = by_id[f"C{c['ids']['case_a2']}"]
    assert unlocated["properties"]["located"] is False
    assert unlocated["properties"]["grid"] == "a2"
    lon, lat = unlocated["geometry"]["coordinates"]
    assert 121.405 < lon < 121.415 and 31.195 < lat < 31.205  # inside a2's box
    grids = {g["code"]: g for g in body["grids"]}
    assert grids["a2"]["unlocated"] == {"case": 1}
    assert grids["a1"]["located"] == {"case": 1} and grids["a1"]["unlocated"] == {"alert": 1}
    assert grids["a1"]["colour"] != grids["a2"]["colour"]
    assert located["properties"]["type_label"] == "Waste not collected"  # readers' language
    assert located["properties"]["status_label"] == "Dispatched"


def test_filters_choose_kinds_and_status_and_name_bad_values(world: World) -> None:
    c = city(world)
    body = items(world, world.h["admin"], "?kind=help")
    assert ids(body) == {f"H{c['ids']['help_b1']}"}
    assert items(world, world.h["admin"], "?status=resolved")["features"] == []
    assert len(items(world, world.h["admin"], "?status=new&kind=alert")["features"]) == 2
    r = world.client.get("/api/community/map?status=everything", headers=world.h["admin"])
    assert r.status_code == 422 and r.json()["problems"][0]["where"] == "status"
    r = world.client.get("/api/community/map?kind=people", headers=world.h["admin"])
    assert r.status_code == 422 and r.json()["problems"][0]["where"] == "kind"


def test_resolved_items_leave_the_open_map(world: World) -> None:
    c = city(world)
    r = world.client.post(f"/api/community/alerts/{c['ids']['alert_b1']}/resolve",
                          headers=c["h"]["gw_b1"], json={"note": "called, fine"})
    assert r.status_code == 200, r.text
    assert ids(items(world, c["h"]["gw_b1"])) == {f"H{c['ids']['help_b1']}"}


def test_the_map_page_lists_counts_per_grid_and_boundaries_stay_in_scope(world: World) -> None:
    city(world)
    page = world.client.get("/community/map", headers=world.h["grid"])
    assert page.status_code == 200, page.text
    assert 'id="grid-a1"' in page.text and 'id="grid-a2"' in page.text
    assert 'id="grid-b1"' not in page.text
    assert 'id="staff-map"' in page.text and "/static/vendor/leaflet/leaflet.js" in page.text
    codes = {f["properties"]["code"] for f in world.client.get(
        "/community/places.geojson", headers=world.h["grid"]).json()["features"]}
    assert codes == {"a", "a1", "a2"}
    # the boundary really is a polygon the picker can draw and test points against
    b1 = next(f for f in world.client.get("/community/places.geojson",
                                      headers=world.h["admin"]).json()["features"]
          if f["properties"]["code"] == "b1")
    assert shapely.geometry.shape(b1["geometry"]).contains(shapely.Point(IN_B1[1], IN_B1[0]))
