"""The community test world plus what outbreak tests need: the outbreak runtime on the
world's clock (noise replaced where a test checks what happens around it), and a health
officer of community b only."""

from __future__ import annotations

from typing import Any

import pytest

from rescity.community.outbreak.deps import STATE_KEY
from rescity.community.outbreak.dp import discrete_laplace, no_noise
from rescity.community.outbreak.runtime import OutbreakRuntime
from rescity.core.accounts import create_user, grant_role, issue_api_token
from rescity.core.places import get_place
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import PASSWORD, World

TODAY = "2026-11-23"  # the world's clock: 10:00 in Shanghai


def use_runtime(world: World, **changes: Any) -> OutbreakRuntime:
    rt = OutbreakRuntime.create(world.settings, clock=world.clock, noise=no_noise)
    rt = rt.with_(**changes) if changes else rt
    setattr(world.client.app.state, STATE_KEY, rt)  # type: ignore[attr-defined]
    return rt


@pytest.fixture
def ob(world: World) -> World:
    """The world with exact 'noise' (tests of scope, suppression, ledger) and health_b."""
    use_runtime(world)
    with UnitOfWork(world.factory) as uow:
        user = create_user(uow.session, username="health_b", password=PASSWORD, language="en")
        grant_role(uow.session, user, "health_officer", get_place(uow.session, "b"))
        world.tokens["health_b"] = issue_api_token(uow.session, user)
        uow.commit()
    return world


@pytest.fixture
def noisy(ob: World) -> World:
    use_runtime(ob, noise=discrete_laplace)
    return ob


def add_case(world: World, who: str = "health", **body: Any) -> dict[str, Any]:
    body.setdefault("status", "confirmed")
    if body["status"] != "suspected":
        body.setdefault("confirmed_date", TODAY)
    response = world.call(who, "POST", "/api/outbreak/cases", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
