"""A web app on each backend with a small hierarchy and users of several roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from rescity.core.accounts import create_user, grant_role
from rescity.core.config import Settings
from rescity.core.places import PlaceLevel, add_place
from rescity.core.storage.uow import UnitOfWork
from rescity.web.app import create_app

PASSWORD = "correct horse battery"


@dataclass
class World:
    client: TestClient
    settings: Settings


@pytest.fixture
def world(settings: Settings, engine, session_factory) -> Iterator[World]:
    with UnitOfWork(session_factory) as uow:
        s = uow.session
        city = add_place(s, level=PlaceLevel.CITY, code="c", name_zh="城", name_en="City")
        dist = add_place(s, level=PlaceLevel.DISTRICT, code="d", name_zh="区", parent=city)
        sub = add_place(s, level=PlaceLevel.SUBDISTRICT, code="s", name_zh="街道", parent=dist)
        comm = add_place(s, level=PlaceLevel.COMMUNITY, code="a", name_zh="社区A", parent=sub)
        for name, role, place in (("admin", "city_admin", city), ("grid", "grid_worker", comm)):
            user = create_user(s, username=name, password=PASSWORD, display_name=name.title())
            grant_role(s, user, role, place)
        create_user(s, username="plain", password=PASSWORD, language="en")
        uow.commit()
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        yield World(client, settings)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
