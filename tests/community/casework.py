"""A small city for part II's tests (cases, help, sensors), on each backend, with a clock the
tests move. Each of those folders' conftest.py takes its fixtures from here.

Places: city c › district d › sub-district s › communities a (grids a1, a2) and b (grid b1).
Users (bearer tokens in ``world.h[name]``): admin (city_admin on c), grid (grid_worker on a),
dept (department on d), pma (property_manager on a), pmb (property_manager on b), res and
res2 (residents on a1), vol (volunteer on a), analyst (analyst on c), plain (no role).
Handlers: ``pm-a`` (property manager of a, staff pma), ``pm-b`` (of b, staff pmb), ``dept-d``
(department of d, staff dept).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import sessionmaker

from rescity.community.cases.adapters import Handler, HandlerMember
from rescity.community.cases.deps import STATE_KEY
from rescity.community.cases.runtime import OpsRuntime
from rescity.core.accounts import User, grant_role, issue_api_token
from rescity.core.config import Settings
from rescity.core.places import Place, PlaceLevel, add_place
from rescity.core.security.passwords import hash_password
from rescity.core.storage.db import Base, make_engine
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai

ROLES = {
    "admin": ("city_admin", "c"),
    "grid": ("grid_worker", "a"),
    "dept": ("department", "d"),
    "pma": ("property_manager", "a"),
    "pmb": ("property_manager", "b"),
    "res": ("resident", "a1"),
    "res2": ("resident", "a1"),
    "vol": ("volunteer", "a"),
    "vol2": ("volunteer", "a"),
    "analyst": ("analyst", "c"),
    "plain": (None, None),
}


PASSWORD = "correct horse battery"


@cache
def password_hash() -> str:
    """Argon2 takes ~0.4 s a hash on purpose: hash the test password once per session."""
    return hash_password(PASSWORD)


class Clock:
    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@dataclass
class World:
    client: TestClient
    settings: Settings
    session_factory: sessionmaker[Any]
    clock: Clock
    rt: OpsRuntime
    places: dict[str, Place]
    users: dict[str, int]
    h: dict[str, dict[str, str]] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)


def build_places(s: Any) -> dict[str, Place]:
    p: dict[str, Place] = {}
    p["c"] = add_place(s, level=PlaceLevel.CITY, code="c", name_zh="城", name_en="City")
    p["d"] = add_place(s, level=PlaceLevel.DISTRICT, code="d", name_zh="区", parent=p["c"])
    p["s"] = add_place(s, level=PlaceLevel.SUBDISTRICT, code="s", name_zh="街道", parent=p["d"])
    for comm in ("a", "b"):
        p[comm] = add_place(s, level=PlaceLevel.COMMUNITY, code=comm, name_zh=f"社区{comm}",
                            name_en=f"Community {comm.upper()}", parent=p["s"])
    for grid, comm in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        p[grid] = add_place(s, level=PlaceLevel.GRID, code=grid, name_zh=f"网格{grid}",
                            parent=p[comm])
    return p


def _empty_postgres(url: str) -> None:
    """Remove every row and restart the id sequences: test clean-up only.

    The tables' owner (no superuser needed, as on a server that requires passwords) switches
    off the tables' own triggers (the append-only guards) for this transaction and deletes
    children before parents, so foreign keys stay checked. DELETE beats TRUNCATE on tiny
    tables."""
    eng = create_engine(url)
    with eng.begin() as conn:
        guarded = [
            name
            for (name,) in conn.execute(
                text(
                    "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c "
                    "ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
                )
            )
        ]
        for name in guarded:
            conn.execute(text(f'ALTER TABLE "{name}" DISABLE TRIGGER USER'))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f'DELETE FROM "{table.name}"'))
        for name in guarded:
            conn.execute(text(f'ALTER TABLE "{name}" ENABLE TRIGGER USER'))
        for (seq,) in conn.execute(text("SELECT relname FROM pg_class WHERE relkind = 'S'")):
            conn.execute(text(f'ALTER SEQUENCE "{seq}" RESTART'))
    eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_shared")
    yield url
    _empty_postgres(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)  # already migrated (see db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def seed(session_factory: sessionmaker[Any]) -> tuple[dict[str, Place], dict[str, int],
                                                      dict[str, str]]:
    """The small city of this folder: places, users with roles (and tokens), handlers."""
    users: dict[str, int] = {}
    tokens: dict[str, str] = {}
    with UnitOfWork(session_factory) as uow:
        s = uow.session
        places = build_places(s)
        for name, (role, place) in ROLES.items():
            user = User(username=name, display_name=name.title(), language="en",
                        password_hash=password_hash())
            s.add(user)
            s.flush()
            if role:
                grant_role(s, user, role, places[str(place)])
            users[name] = user.id
            tokens[name] = issue_api_token(s, user)
        for code, kind, place, staff in (("pm-a", "property_manager", "a", "pma"),
                                         ("pm-b", "property_manager", "b", "pmb"),
                                         ("dept-d", "department", "d", "dept")):
            handler = Handler(code=code, kind=kind, name_zh=code, name_en=code,
                              place_id=places[place].id, scope=places[place].path)
            s.add(handler)
            s.flush()
            s.add(HandlerMember(handler_id=handler.id, user_id=users[staff]))
        uow.commit()
        s.expunge_all()
    return places, users, tokens


@pytest.fixture
def world(settings: Settings, engine: Any, session_factory: sessionmaker[Any],
          clock: Clock) -> Iterator[World]:
    places, users, tokens = seed(session_factory)
    rt = OpsRuntime.create(settings, clock=clock)
    app = create_app(settings, engine=engine)
    setattr(app.state, STATE_KEY, rt)
    with TestClient(app) as client:
        yield World(client, settings, session_factory, clock, rt, places, users,
                    {n: {"Authorization": f"Bearer {t}"} for n, t in tokens.items()})
