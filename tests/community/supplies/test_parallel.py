"""Stock never goes negative when rounds and transfers take from the same lots at once: real
parallel HTTP requests to the app served on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from rescity.community.supplies.adapters import Lot, Movement
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World
from tests.community.supplies.conftest import on_hand, post
from tests.live import serving

ROUNDS, TRANSFERS = 8, 4  # 8 rounds of 2 boxes and 4 transfers of 3: 28 asked, 14 held


def test_parallel_rounds_and_transfers_never_take_more_than_the_store_holds(
        stocked: World) -> None:
    world = stocked
    post(world, "grid_a1", "/stores", {"place": "a1", "code": "annex", "name": "Annex"})
    assert on_hand(world, "a1-store", "mask") == 14
    headers = world.headers("grid_a1")
    round_body = {"store": "a1-store", "grid": "a1", "building": "1",
                  "package": [{"item": "mask", "qty": 1}]}  # 2 households: 2 boxes
    transfer_body = {"from_store": "a1-store", "to_store": "annex", "item": "mask", "qty": 3}
    jobs = [("/rounds", round_body)] * ROUNDS + [("/transfers", transfer_body)] * TRANSFERS
    start = threading.Barrier(len(jobs))

    with serving(world.client.app) as base:
        def send(job: tuple[str, dict[str, Any]]) -> tuple[str, int]:
            path, body = job
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                start.wait()
                return path, client.post(f"/api/community/supplies{path}", json=body).status_code

        with ThreadPoolExecutor(len(jobs)) as pool:
            results = list(pool.map(send, jobs))

    codes = sorted({code for _, code in results})
    assert set(codes) <= {201, 409}, results  # refused for want of stock, never an error
    taken = sum(2 if path == "/rounds" else 3 for path, code in results if code == 201)
    left = on_hand(world, "a1-store", "mask")
    assert left >= 0 and taken + left == 14
    assert left < 2  # the store was emptied as far as the requests could use it
    assert on_hand(world, "annex", "mask") == 3 * sum(
        1 for path, code in results if path == "/transfers" and code == 201)
    with UnitOfWork(world.factory) as uow:
        s = uow.session
        assert s.scalar(select(func.min(Lot.qty))) >= 0
        out = s.scalar(select(func.sum(Movement.qty)).where(
            Movement.kind.in_(["issue", "transfer_out"])))
        assert out == taken  # the ledger agrees with the lots


def test_the_database_itself_refuses_a_negative_lot(stocked: World) -> None:
    with UnitOfWork(stocked.factory) as uow, pytest.raises(IntegrityError):
        uow.session.execute(update(Lot).values(qty=Lot.qty - 100))
        uow.session.flush()
