"""A small city with two communities, people of every role, and an app with a fake clock.

Hierarchy: city c / district d / sub-district s / community a (grids a1, a2) and
community b (grid b1). Residents: alice and bob (one household in a1, bob registered by
alice, no login), carol (another household in a1), dave (b1).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import sessionmaker

from rescity.community.residents.domain import Channel, Relation
from rescity.community.residents.households import ensure_dwelling, new_household
from rescity.community.residents.services import NewResident, build_resident
from rescity.community.shared.deps import get_runtime
from rescity.community.shared.runtime import Runtime
from rescity.core.accounts import create_user, grant_role, issue_api_token
from rescity.core.config import Settings
from rescity.core.places import PlaceLevel, add_place, get_place
from rescity.core.security.passwords import hash_password
from rescity.core.security.personal_data import new_key_spec
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app
from tests.conftest import PG_ADMIN_URL

ALICE_PHONE = "13812341234"
CAROL_PHONE = "13998765432"


def national_id(body17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body17, weights, strict=True))
    return body17 + "10X98765432"[total % 11]


ALICE_ID = national_id("11010119900307451")
PASSWORD = "correct horse battery"


@functools.cache
def _one_hash() -> str:
    return hash_password(PASSWORD)


class FakeClock:
    """Starts at 10:00 in Shanghai (02:00 UTC); tests move it forward."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


ROLES = ("anonymous", "alice", "carol", "dave", "grid_a1", "grid_b1", "health", "dept", "manager",
         "admin")


@dataclass
class World:
    client: TestClient
    settings: Settings
    runtime: Runtime
    clock: FakeClock
    factory: sessionmaker[Any]
    engine: Engine
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        h = dict(extra)
        if who != "anonymous":
            h["Authorization"] = f"Bearer {self.tokens[who]}"
        return h

    def call(self, who: str, method: str, path: str, **kw: Any) -> Response:
        headers = self.headers(who, **kw.pop("headers", {}))
        return self.client.request(method, path, headers=headers, **kw)


def _build(
    session_factory: sessionmaker[Any], runtime: Runtime
) -> tuple[dict[str, str], dict[str, int]]:
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    with UnitOfWork(session_factory) as uow:
        s = uow.session
        city = add_place(s, level=PlaceLevel.CITY, code="c", name_zh="城", name_en="City")
        dist = add_place(s, level=PlaceLevel.DISTRICT, code="d", name_zh="区", parent=city)
        sub = add_place(s, level=PlaceLevel.SUBDISTRICT, code="s", name_zh="街道", parent=dist)
        a = add_place(s, level=PlaceLevel.COMMUNITY, code="a", name_zh="社区A", parent=sub)
        a1 = add_place(s, level=PlaceLevel.GRID, code="a1", name_zh="网格A1", parent=a)
        add_place(s, level=PlaceLevel.GRID, code="a2", name_zh="网格A2", parent=a)
        b = add_place(s, level=PlaceLevel.COMMUNITY, code="b", name_zh="社区B", parent=sub)
        b1 = add_place(s, level=PlaceLevel.GRID, code="b1", name_zh="网格B1", parent=b)
        staff = {
            "grid_a1": ("grid_worker", a1), "grid_b1": ("grid_worker", b1),
            "health": ("health_officer", sub), "dept": ("department", sub),
            "manager": ("property_manager", a), "admin": ("city_admin", city),
            "alice": ("resident", a1), "carol": ("resident", a1), "dave": ("resident", b1),
        }
        users = {}
        for name, (role, place) in staff.items():
            user = create_user(s, username=name, password=PASSWORD, language="en")
            grant_role(s, user, role, place)
            tokens[name] = issue_api_token(s, user)
            users[name] = user
        h1 = new_household(s, ensure_dwelling(s, a1, "1", "2", "101"))
        h2 = new_household(s, ensure_dwelling(s, a1, "1", "2", "102"))
        h3 = new_household(s, ensure_dwelling(s, b1, "9", "", "901"))
        alice = build_resident(
            s, runtime, h1, NewResident("Alice Test", ALICE_PHONE, ALICE_ID, 1990),
            channel=Channel.SELF, by=None, user_id=users["alice"].id,
        )
        bob = build_resident(
            s, runtime, h1, NewResident("Bob Test", None, None, 1940, Relation.PARENT),
            channel=Channel.FAMILY, by=None,
        )
        carol = build_resident(
            s, runtime, h2, NewResident("Carol Test", CAROL_PHONE, None, 1985),
            channel=Channel.SELF, by=None, user_id=users["carol"].id,
        )
        dave = build_resident(
            s, runtime, h3, NewResident("Dave Test", None, None, 1970),
            channel=Channel.SELF, by=None, user_id=users["dave"].id,
        )
        ids.update(
            alice=alice.id, bob=bob.id, carol=carol.id, dave=dave.id, h1=h1.id, h2=h2.id,
            h3=h3.id, **{f"user_{k}": u.id for k, u in users.items()},
        )
        uow.commit()
    return tokens, ids


@pytest.fixture
def community_settings(settings: Settings) -> Settings:
    # Exact dashboard figures: the tests here check suppression; the noise is tested in
    # tests/community/outbreak.
    return settings.model_copy(update={"data_keys": new_key_spec("k1"),
                                       "dashboard_dp_epsilon": 0.0})


@pytest.fixture
def world(
    community_settings: Settings, engine: Engine, session_factory: sessionmaker[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    # Argon2 is slow on purpose; every user of the test world shares one precomputed hash.
    monkeypatch.setattr("rescity.core.accounts.hash_password", lambda _p: _one_hash())
    clock = FakeClock()
    runtime = Runtime.create(community_settings, clock=clock)
    tokens, ids = _build(session_factory, runtime)
    app = create_app(community_settings, engine=engine)
    app.dependency_overrides[get_runtime] = lambda: runtime
    with TestClient(app) as client:
        yield World(client, community_settings, runtime, clock, session_factory, engine,
                    tokens, ids)


# Faster databases for the part II folders (cases, help, sensors; see casework.py): instead
# of migrating an empty database for every test (about a second on PostgreSQL), SQLite tests
# copy a migrated template file, and PostgreSQL tests share one migrated database that is
# emptied after each test. Session-scoped, so defined once here for the three folders.


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    eng = make_engine(f"sqlite:///{path}")
    migrate.upgrade(eng)
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def pg_shared() -> Iterator[str]:
    name = f"rescity_ops_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    eng = make_engine(url)
    migrate.upgrade(eng)
    eng.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


OTHER_AREA = "health_b"  # a health officer of community b only: an officer of another grid


@pytest.fixture
def world_with_other_officer(world: World) -> World:
    """The world plus ``health_b``, health officer of community b (not of a's grids)."""
    with UnitOfWork(world.factory) as uow:
        s = uow.session
        user = create_user(s, username=OTHER_AREA, password=PASSWORD, language="en")
        grant_role(s, user, "health_officer", get_place(s, "b"))
        world.tokens[OTHER_AREA] = issue_api_token(s, user)
        uow.commit()
    return world
