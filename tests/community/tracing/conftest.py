"""The community test world (tests/community/conftest.py) with tracing's clock set to the
world's fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rescity.community.tracing.api import STATE_KEY
from rescity.community.tracing.services import TracingRuntime
from tests.community.conftest import World


@pytest.fixture
def tw(world: World) -> Iterator[World]:
    rt = TracingRuntime.create(world.settings).with_clock(world.clock)
    setattr(world.client.app.state, STATE_KEY, rt)  # type: ignore[attr-defined]
    yield world
