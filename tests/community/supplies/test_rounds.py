"""Distribution rounds: a sealed building gets door delivery, each delivery is confirmed (by
the household or recorded by staff), the report adds up; low stock notifies the grid worker."""

from __future__ import annotations

import csv
import io

from tests.community.conftest import World
from tests.community.supplies.conftest import on_hand, post


def test_a_round_for_a_sealed_building_is_delivered_to_the_door_and_confirmed(
        stocked: World) -> None:
    world = stocked
    r = world.call("health", "POST", "/api/community/control",
                   json={"place": "a1", "building": "1", "status": "sealed"})
    assert r.status_code == 201
    asked = post(world, "alice", "/requests", {"item": "rice", "qty": 2, "note": "for Bob"})
    assert asked["household_id"] == world.ids["h1"] and asked["status"] == "open"
    rnd = post(world, "grid_a1", "/rounds", {"store": "a1-store", "grid": "a1", "building": "1",
                                             "package": [{"item": "mask", "qty": 3}]})
    assert (rnd["method"], rnd["control_status"], rnd["status"]) == ("door", "sealed", "out")
    deliveries = {d["household_id"]: d for d in rnd["deliveries"]}  # type: ignore[union-attr]
    assert set(deliveries) == {world.ids["h1"], world.ids["h2"]}
    alice_d, carol_d = deliveries[world.ids["h1"]], deliveries[world.ids["h2"]]
    assert alice_d["method"] == "door" and alice_d["address"] == "1-2-101"
    # The soonest-expiring lot goes first: 4 from M-soon, then 2 from M-late.
    assert sorted((i["item"], i["lot"], i["qty"]) for i in alice_d["items"]) == [
        ("mask", "M-soon", 3), ("rice", "", 2)]
    assert sorted((i["lot"], i["qty"]) for i in carol_d["items"]) == [("M-late", 2),
                                                                       ("M-soon", 1)]
    assert rnd["totals"] == {"mask": 6, "rice": 2}
    assert on_hand(world, "a1-store", "mask") == 8 and on_hand(world, "a1-store", "rice") == 18

    # Confirming comes after delivery; a household confirms only its own.
    path = f"/deliveries/{alice_d['id']}"
    assert world.call("alice", "POST", f"/api/community/supplies{path}/confirm",
                      json={}).status_code == 409
    assert world.call("alice", "POST", f"/api/community/supplies{path}/delivered",
                      json={}).status_code == 403
    for d in (alice_d, carol_d):
        post(world, "grid_a1", f"/deliveries/{d['id']}/delivered", {"note": "at the door"},
             expect=200)
    assert world.call("alice", "POST", f"/api/community/supplies/deliveries/{carol_d['id']}"
                      "/confirm", json={}).status_code == 403
    mine = post(world, "alice", f"{path}/confirm", {}, expect=200)
    assert (mine["status"], mine["confirmed_via"]) == ("confirmed", "household")
    staff = post(world, "grid_a1", f"/deliveries/{carol_d['id']}/confirm",
                 {"note": "photo by phone"}, expect=200)
    assert staff["confirmed_via"] == "staff"
    assert world.call("grid_a1", "POST", f"/api/community/supplies{path}/confirm",
                      json={}).status_code == 409  # once

    done = world.call("grid_a1", "GET", f"/api/community/supplies/rounds/{rnd['id']}").json()
    assert done["status"] == "done" and done["by_status"] == {"confirmed": 2}
    requests = world.call("alice", "GET", "/api/community/supplies/requests").json()
    assert [(q["status"], q["delivery_id"]) for q in requests] == [("delivered", alice_d["id"])]
    report = world.call("grid_a1", "GET",
                        f"/api/community/supplies/rounds/{rnd['id']}/report.csv")
    assert report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [(row["address"], row["method"], row["status"], row["confirmed_via"])
            for row in rows] == [("1-2-101", "door", "confirmed", "household"),
                                 ("1-2-102", "door", "confirmed", "staff")]
    assert "Masks 3 box" in rows[0]["items"] and "Rice 2 bag" in rows[0]["items"]


def test_without_a_control_status_households_pick_up(stocked: World) -> None:
    rnd = post(stocked, "grid_a1", "/rounds", {"store": "a1-store", "grid": "a1",
                                               "package": [{"item": "rice", "qty": 1}]})
    assert rnd["method"] == "pickup" and rnd["control_status"] == ""


def test_a_round_the_store_cannot_cover_keeps_nothing(stocked: World) -> None:
    world = stocked
    r = world.call("grid_a1", "POST", "/api/community/supplies/rounds", json={
        "store": "a1-store", "grid": "a1", "building": "1",
        "package": [{"item": "rice", "qty": 1}, {"item": "mask", "qty": 8}]})
    assert r.status_code == 409 and "mask" in r.json()["message"]
    assert on_hand(world, "a1-store", "mask") == 14 and on_hand(world, "a1-store", "rice") == 20
    assert world.call("grid_a1", "GET", "/api/community/supplies/rounds/1").status_code == 404


def test_low_stock_notifies_the_grid_worker_once_a_day(stocked: World) -> None:
    world = stocked
    post(world, "grid_a1", "/stores", {"place": "a1", "code": "a-depot", "name": "Annex"})
    post(world, "grid_a1", "/transfers",
         {"from_store": "a1-store", "to_store": "a-depot", "item": "mask", "qty": 9})
    assert on_hand(world, "a1-store", "mask") == 5  # at the threshold: no alert yet
    assert world.call("grid_a1", "GET", "/api/community/alerts").json() == []
    post(world, "grid_a1", "/rounds", {"store": "a1-store", "grid": "a1", "building": "1",
                                       "package": [{"item": "mask", "qty": 1}]})
    post(world, "grid_a1", "/transfers",
         {"from_store": "a1-store", "to_store": "a-depot", "item": "mask", "qty": 1})
    alerts = world.call("grid_a1", "GET", "/api/community/alerts").json()
    assert [(a["kind"], a["assignee_id"], a["detail"]["item"], a["detail"]["on_hand"])
            for a in alerts] == [("low_stock", world.ids["user_grid_a1"], "mask", 3)]
    depot = world.call("grid_a1", "GET", "/api/community/supplies/stock?store=a-depot").json()
    assert [(lot["lot_code"], lot["qty"]) for lot in depot[0]["lots"]] == [
        ("M-soon", 4), ("M-late", 5), ("M-late", 1)]  # lots keep their code and expiry


def test_bad_input_is_refused_with_a_clear_4xx(stocked: World) -> None:
    world = stocked

    def status(path: str, body: dict[str, object], who: str = "grid_a1") -> int:
        return world.call(who, "POST", f"/api/community/supplies{path}", json=body).status_code

    for qty in (-3, 0, 1.5, "2", True):
        assert status("/stores/a1-store/receipts", {"item": "mask", "qty": qty}) == 422, qty
    assert status("/stores/a1-store/receipts", {"item": "gold", "qty": 1}) == 404
    assert status("/stores/nowhere/receipts", {"item": "mask", "qty": 1}) == 404
    assert status("/transfers", {"from_store": "a1-store", "to_store": "a1-store",
                                 "item": "mask", "qty": 1}) == 422
    assert status("/transfers", {"from_store": "a1-store", "to_store": "elsewhere",
                                 "item": "mask", "qty": 1}) == 404
    assert status("/rounds", {"store": "a1-store", "grid": "a1",
                              "package": [{"item": "mask", "qty": -1}]}) == 422
    assert status("/rounds", {"store": "a1-store", "grid": "a1",
                              "package": [{"item": "gold", "qty": 1}]}) == 404
    assert status("/rounds", {"store": "a1-store", "grid": "a1", "building": "42",
                              "package": [{"item": "mask", "qty": 1}]}) == 422
    assert status("/requests", {"item": "mask", "qty": -1}, who="alice") == 422
    assert status("/requests", {"item": "mask", "qty": 1, "household_id": 99999}) == 404
    assert status("/requests", {"item": "mask", "qty": 1,
                                "household_id": world.ids["h3"]}, who="alice") == 403
    assert status("/stores/a1-store/receipts", {"item": "mask", "qty": 1}, who="alice") == 403
    # PostgreSQL text cannot hold NUL: refused at the edge, never a server error.
    assert status("/items", {"code": "x\x00", "name_zh": "x", "unit": "box"}) == 422
    assert status("/stores/a1%00/receipts", {"item": "mask", "qty": 1}) == 404
    assert status("/stores/a1-store/receipts", {"item": "mask\x00", "qty": 1}) == 422
    assert world.call("health", "POST", "/api/community/control", json={
        "place": "a1", "status": "sealed", "note": "\x00"}).status_code == 422
    assert on_hand(world, "a1-store", "mask") == 14
