"""Parallel requests against a running server: the sign-in throttle and invitation uses hold.

Each test serves the real app with uvicorn (tests/live.py) and fires requests from threads,
as an attacker with a script would.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from rescity.community.residents.adapters import Invitation
from rescity.community.shared.adapters import Resident
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import PASSWORD, World
from tests.live import serving


def _token(base: str, username: str, password: str) -> int:
    r = httpx.post(f"{base}/api/tokens", json={"username": username, "password": password},
                   timeout=60)
    return r.status_code


def test_parallel_wrong_passwords_are_evaluated_no_more_than_the_limit(world: World) -> None:
    limit = world.settings.login_max_failures
    with serving(world.client.app) as base, ThreadPoolExecutor(20) as pool:
        codes = Counter(pool.map(lambda _: _token(base, "grid_a1", "wrong-wrong"), range(40)))
    assert codes[401] == limit and codes[429] == 40 - limit, codes


def test_one_accounts_failures_lock_out_neither_other_accounts_nor_other_clients(
    world: World,
) -> None:
    limit = world.settings.login_max_failures
    with serving(world.client.app) as base:
        for _ in range(limit):
            assert _token(base, "grid_a1", "wrong-wrong") == 401
        # The same client is refused for this account only ...
        assert _token(base, "grid_a1", PASSWORD) == 429
        assert _token(base, "grid_b1", PASSWORD) == 200
        # ... and the account's owner elsewhere waits seconds (a backoff), not minutes.
        time.sleep(1.1)
        other = world.client.post("/api/tokens", json={"username": "grid_a1",
                                                       "password": PASSWORD})
        assert other.status_code == 200, other.text


def test_parallel_registrations_never_exceed_an_invitations_uses(world: World) -> None:
    inv = world.call("grid_a1", "POST", "/api/community/invitations",
                     json={"place": "a1", "max_uses": 2}).json()

    def register(n: int) -> int:
        body = {"code": inv["code"], "username": f"racer{n}", "password": PASSWORD,
                "grid": "a1", "building": "7", "room": f"{700 + n}", "name": f"Racer {n}"}
        return httpx.post(f"{base}/api/community/register", json=body, timeout=60).status_code

    with serving(world.client.app) as base, ThreadPoolExecutor(12) as pool:
        codes = Counter(pool.map(register, range(12)))
    assert codes[201] == 2 and codes[201] + codes[404] + codes[429] == 12, codes
    with UnitOfWork(world.factory) as uow:
        uses = uow.session.scalar(select(Invitation.uses).where(Invitation.code == inv["code"]))
        racers = uow.session.scalar(select(func.count()).select_from(Resident)
                                    .where(Resident.name.startswith("Racer")))
    assert (uses, racers) == (2, 2)
