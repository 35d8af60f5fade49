"""A community store in grid a1 with masks (two lots, the sooner-expiring one smaller) and
rice, on top of the community test world (tests/community/conftest.py)."""

from __future__ import annotations

import pytest

from tests.community.conftest import World


def post(world: World, who: str, path: str, body: dict[str, object], expect: int = 201
         ) -> dict[str, object]:
    r = world.call(who, "POST", f"/api/community/supplies{path}", json=body)
    assert r.status_code == expect, r.text
    return dict(r.json()) if isinstance(r.json(), dict) else {"list": r.json()}


@pytest.fixture
def stocked(world: World) -> World:
    post(world, "grid_a1", "/items", {"code": "mask", "name_zh": "口罩", "name_en": "Masks",
                                      "unit": "box", "low_stock": 5})
    post(world, "grid_a1", "/items", {"code": "rice", "name_zh": "大米", "name_en": "Rice",
                                      "unit": "bag"})
    post(world, "grid_a1", "/stores", {"place": "a1", "code": "a1-store", "name": "A1 store"})
    post(world, "grid_a1", "/stores/a1-store/receipts",
         {"item": "mask", "qty": 10, "lot_code": "M-late", "expires_on": "2027-06-30"})
    post(world, "grid_a1", "/stores/a1-store/receipts",
         {"item": "mask", "qty": 4, "lot_code": "M-soon", "expires_on": "2026-12-31"})
    post(world, "grid_a1", "/stores/a1-store/receipts", {"item": "rice", "qty": 20})
    return world


def on_hand(world: World, store: str, item: str) -> int:
    rows = world.call("grid_a1", "GET", f"/api/community/supplies/stock?store={store}").json()
    return sum(r["qty"] for r in rows if r["item"] == item)
