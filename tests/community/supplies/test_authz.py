"""Who may call each supplies endpoint: every role, both backends.

Same shape as tests/community/shared/test_role_matrix.py (whose coverage test includes this
table). Grid workers run the stores, rounds and deliveries of their grid; residents ask for
and confirm supplies for their own household only; lists are open to every signed-in user
but hold only what the reader may see (checked at the end). ``grid_b1`` is the worker of
another grid, ``health_b`` a health officer of community b: neither acts on grid a1.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.community.conftest import OTHER_AREA, ROLES, World
from tests.community.shared.test_role_matrix import Row, both, check_row

USERS = (*ROLES, OTHER_AREA)
SIGNED_IN = both(200, *USERS[1:])
RESIDENTS = ("alice", "carol", "dave")
_n = itertools.count()


def _post(w: World, path: str, body: dict[str, Any]) -> Any:
    r = w.call("admin", "POST", f"/api/community/supplies{path}", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def new_store(w: World, place: str = "a1") -> str:
    code = f"st{next(_n)}"
    _post(w, "/stores", {"place": place, "code": code, "name": code})
    return code


def new_item(w: World) -> dict[str, Any]:
    code = f"it{next(_n)}"
    _post(w, "/items", {"code": code, "name_zh": code, "unit": "box"})
    return {"item": code, "n": next(_n)}


def stocked_store(w: World) -> dict[str, Any]:
    params = new_item(w)
    params["store"] = new_store(w)
    _post(w, f"/stores/{params['store']}/receipts", {"item": params["item"], "qty": 50})
    return params


def two_stores(w: World) -> dict[str, Any]:
    return {**stocked_store(w), "other": new_store(w)}


def store_and_store_of_b1(w: World) -> dict[str, Any]:
    return {**stocked_store(w), "other": new_store(w, "b1")}


def new_round(w: World) -> dict[str, Any]:
    params = stocked_store(w)
    rnd = _post(w, "/rounds", {"store": params["store"], "grid": "a1", "building": "1",
                               "package": [{"item": params["item"], "qty": 1}]})
    alices = next(d for d in rnd["deliveries"] if d["household_id"] == w.ids["h1"])
    return {**params, "round": rnd["id"], "delivery": alices["id"]}


def delivered(w: World) -> dict[str, Any]:
    params = new_round(w)
    r = w.call("admin", "POST", f"/api/community/supplies/deliveries/{params['delivery']}"
                                "/delivered", json={})
    assert r.status_code == 200, r.text
    return params


A1_STAFF = ("grid_a1", "admin")
TABLE = [
    Row("add an item to the catalogue", "POST", "/api/community/supplies/items",
        both(201, "grid_a1", "grid_b1", "admin"),
        json={"code": "i{n}", "name_zh": "口罩", "unit": "box"}, setup=lambda w: {"n": next(_n)}),
    Row("open a store in grid a1", "POST", "/api/community/supplies/stores", both(201, *A1_STAFF),
        json={"place": "a1", "code": "s{n}", "name": "A1"}, setup=lambda w: {"n": next(_n)}),
    Row("receive stock into an a1 store", "POST",
        "/api/community/supplies/stores/{store}/receipts", both(201, *A1_STAFF),
        json={"item": "{item}", "qty": 5, "lot_code": "L1"}, setup=stocked_store),
    Row("transfer between two a1 stores", "POST", "/api/community/supplies/transfers",
        both(201, *A1_STAFF), setup=two_stores,
        json={"from_store": "{store}", "to_store": "{other}", "item": "{item}", "qty": 1}),
    Row("transfer from a1 to a store of b1", "POST", "/api/community/supplies/transfers",
        both(201, "admin"), setup=store_and_store_of_b1,
        json={"from_store": "{store}", "to_store": "{other}", "item": "{item}", "qty": 1}),
    Row("stock of all visible stores", "GET", "/api/community/supplies/stock", SIGNED_IN),
    Row("stock of one a1 store", "GET", "/api/community/supplies/stock?store={store}",
        both(200, *A1_STAFF), setup=stocked_store),
    Row("ask for supplies for my household", "POST", "/api/community/supplies/requests",
        both(201, *RESIDENTS), json={"item": "{item}", "qty": 1}, setup=new_item,
        refused=404),  # staff without a household of their own must name one
    Row("ask for supplies for Alice's household", "POST", "/api/community/supplies/requests",
        both(201, "alice", *A1_STAFF), json={"item": "{item}", "qty": 1, "household_id": "{h1}"},
        setup=new_item),
    Row("list requests", "GET", "/api/community/supplies/requests", SIGNED_IN),
    Row("plan a round for a building of a1", "POST", "/api/community/supplies/rounds",
        both(201, *A1_STAFF), setup=stocked_store,
        json={"store": "{store}", "grid": "a1", "building": "1",
              "package": [{"item": "{item}", "qty": 1}]}),
    Row("read a round", "GET", "/api/community/supplies/rounds/{round}", both(200, *A1_STAFF),
        setup=new_round),
    Row("a round's report", "GET", "/api/community/supplies/rounds/{round}/report.csv",
        both(200, *A1_STAFF), setup=new_round),
    Row("mark a delivery delivered", "POST",
        "/api/community/supplies/deliveries/{delivery}/delivered", both(200, *A1_STAFF),
        json={"note": "at the door"}, setup=new_round),
    Row("confirm Alice's delivery", "POST",
        "/api/community/supplies/deliveries/{delivery}/confirm",
        both(200, "alice", *A1_STAFF), json={}, setup=delivered),
]


@pytest.mark.parametrize("row", TABLE, ids=[r.name for r in TABLE])
def test_each_role_gets_what_the_supplies_table_says(world_with_other_officer: World,
                                                     row: Row) -> None:
    wrong = check_row(world_with_other_officer, row, USERS)
    assert not wrong, "\n".join(wrong)


def test_request_lists_hold_only_the_readers_households(world_with_other_officer: World) -> None:
    w = world_with_other_officer
    item = new_item(w)["item"]
    for who in RESIDENTS:
        r = w.call(who, "POST", "/api/community/supplies/requests", json={"item": item, "qty": 1})
        assert r.status_code == 201, r.text

    def households(who: str) -> set[int]:
        rows = w.call(who, "GET", "/api/community/supplies/requests").json()
        return {q["household_id"] for q in rows}

    h1, h2, h3 = w.ids["h1"], w.ids["h2"], w.ids["h3"]
    assert households("alice") == {h1} and households("carol") == {h2}
    assert households("dave") == {h3}
    assert households("grid_a1") == {h1, h2} and households("grid_b1") == {h3}
    assert households("admin") == {h1, h2, h3}
    for outsider in ("health", "dept", "manager", OTHER_AREA):
        assert households(outsider) == set()
