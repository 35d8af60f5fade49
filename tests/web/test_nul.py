"""NUL characters are refused for every route with a 422 naming the field, in JSON bodies and
in HTML form posts: PostgreSQL text cannot hold NUL, and the driver's error was a 500
(found by the schema fuzz test on POST /api/community/tracing/venues)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import sessionmaker

from rescity.core.accounts import get_user, issue_api_token
from rescity.core.storage.uow import UnitOfWork
from tests.web.conftest import World, csrf_of, sign_in

VENUES = "/api/community/tracing/venues"


def _token(session_factory: sessionmaker[Any], username: str) -> dict[str, str]:
    with UnitOfWork(session_factory) as uow:
        token = issue_api_token(uow.session, get_user(uow.session, username))
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_nul_in_a_json_string_is_a_422_naming_the_field(
    world: World, session_factory: sessionmaker[Any],
) -> None:
    admin = _token(session_factory, "admin")
    r = world.client.post(VENUES, headers=admin,
                          json={"place": "a", "name": "Canteen\x00", "kind": "canteen"})
    assert r.status_code == 422, r.text
    assert r.json()["problems"] == [{"where": "body.name",
                                     "message": "must not contain NUL characters"}]
    nested = world.client.post("/api/community/supplies/rounds", headers=admin, json={
        "store": "s", "grid": "a", "package": [{"item": "rice\x00", "qty": 1}]})
    assert nested.status_code == 422 and nested.json()["problems"][0]["where"] == (
        "body.package.0.item")
    key = world.client.post(VENUES, headers=admin, json={"place": "a", "na\x00me": "x"})
    assert key.status_code == 422 and "body.na\\u0000me" in key.json()["message"]
    # A literal backslash-u0000 is text, not NUL: the venue is created.
    ok = world.client.post(VENUES, headers=admin,
                           json={"place": "a", "name": "C:\\u0000", "kind": "canteen"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["name"] == "C:\\u0000"


def test_a_nul_in_a_form_post_is_a_422_not_a_server_error(world: World) -> None:
    token = csrf_of(world.client.get("/login").text)
    r = world.client.post("/login", data={"username": "admin\x00", "password": "x" * 12,
                                          "csrf_token": token, "next": "/"},
                          follow_redirects=False)
    assert r.status_code == 422, r.text
    assert r.json()["problems"] == [{"where": "body.username",
                                     "message": "must not contain NUL characters"}]
    assert sign_in(world.client, "admin").status_code == 303  # the same form, without NUL


def test_a_nul_in_the_query_string_is_a_422_naming_the_parameter(
    world: World, session_factory: sessionmaker[Any],
) -> None:
    admin = _token(session_factory, "admin")
    r = world.client.get("/api/community/supplies/requests?status_=open%00", headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["problems"][0]["where"] == "query.status_"
    assert world.client.get("/api/community/supplies/requests?status_=open",
                            headers=admin).status_code == 200
