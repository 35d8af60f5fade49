"""The admin places page (map + import with problems as HTML), the notifications page with
preferences, the delivery log, and the live SSE stream against a real uvicorn server."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from rescity.core.accounts import get_user, issue_api_token
from rescity.core.config import Settings
from rescity.core.notifications import notify
from rescity.core.places import Place
from rescity.web.app import create_app
from tests.core.test_boundaries import collection, hierarchy
from tests.live import serving
from tests.web.conftest import World, csrf_of, sign_in


def _upload(world: World, text: str, *, dry_run: bool = False) -> httpx.Response:
    token = csrf_of(world.client.get("/admin/places").text)
    data = {"csrf_token": token} | ({"dry_run": "true"} if dry_run else {})
    return world.client.post("/admin/places/import", data=data,
                             files={"file": ("grids.geojson", text, "application/geo+json")})


def _place_count(world: World) -> int:
    from rescity.core.storage.db import make_engine

    engine = make_engine(world.settings.resolved_database_url)
    with engine.connect() as conn:
        count = int(conn.scalar(select(func.count()).select_from(Place)) or 0)
    engine.dispose()
    return count


def test_an_admin_imports_boundaries_on_the_page_all_or_nothing(world: World) -> None:
    assert sign_in(world.client, "admin").status_code == 303
    before = _place_count(world)
    empty = world.client.get("/admin/places")
    assert empty.status_code == 200 and 'id="places-none"' in empty.text
    # Hang the file's city-level tree under nothing new: a fresh hierarchy with new codes.
    bad = hierarchy()
    bad[5]["properties"]["parent"] = "NOPE"
    bad[4]["properties"]["name"] = "<script>alert(1)</script>"
    refused = _upload(world, collection(bad))
    assert refused.status_code == 422 and "text/html" in refused.headers["content-type"]
    assert "feature 6 (G-A)" in refused.text or "第 6 个要素（G-A）" in refused.text
    assert "NOPE" in refused.text and "<script>alert" not in refused.text
    assert _place_count(world) == before
    garbage = _upload(world, "{not json")
    assert garbage.status_code == 422 and "grids.geojson" in garbage.text
    assert "不是有效的 JSON" in garbage.text and "/tmp" not in garbage.text
    checked = _upload(world, collection(hierarchy()), dry_run=True)
    assert checked.status_code == 200 and 'id="places-report"' in checked.text
    assert _place_count(world) == before
    done = _upload(world, collection(hierarchy()))
    assert done.status_code == 200 and 'id="places-map"' in done.text
    assert _place_count(world) == before + 6
    shapes = world.client.get("/admin/places.geojson").json()
    assert [f["properties"]["code"] for f in shapes["features"]][:2] == ["C", "D"]
    assert len(shapes["features"]) == 6


def test_only_administrators_see_the_places_page_and_the_delivery_log(world: World) -> None:
    sign_in(world.client, "grid")
    assert world.client.get("/admin/places").status_code == 403
    assert world.client.get("/admin/notifications").status_code == 403
    assert 'id="nav-places"' not in world.client.get("/notifications").text


def test_preferences_are_checked_and_the_delivery_log_lists_deliveries(
    world: World, session_factory: sessionmaker[Any]
) -> None:
    sign_in(world.client, "plain")  # language en
    page = world.client.get("/notifications")
    assert page.status_code == 200 and "No notifications yet." in page.text
    token = csrf_of(page.text)
    wrong = world.client.post("/notifications/preferences", data={
        "csrf_token": token, "email": "not-an-address", "email_enabled": "true",
        "quiet_start": "22:00"}, follow_redirects=False)
    assert wrong.status_code == 422
    assert "The e-mail address is missing or not valid." in wrong.text
    assert "give both a start and an end" in wrong.text
    ok = world.client.post("/notifications/preferences", data={
        "csrf_token": token, "email": "plain@office.example", "email_enabled": "true",
        "quiet_start": "22:00", "quiet_end": "07:00"}, follow_redirects=False)
    assert ok.status_code == 303
    assert "Saved." in world.client.get(ok.headers["location"]).text
    with session_factory() as session:
        user = get_user(session, "plain")
        notify(session, recipient_user_id=user.id, kind="k", subject="Pipe burst", body="")
        session.commit()
    listed = world.client.get("/notifications")
    assert "Pipe burst" in listed.text and 'value="22:00"' in listed.text
    sign_in(world.client, "admin")
    log = world.client.get("/admin/notifications")
    assert log.status_code == 200 and "Pipe burst" in log.text and "email" in log.text


def _events(lines: Any, wanted: int) -> list[dict[str, Any]]:
    found, event = [], ""
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: ") and event == "notification":
            found.append(json.loads(line[len("data: "):]))
            if len(found) == wanted:
                break
    return found


def test_the_stream_delivers_new_notifications_live(
    settings: Settings, engine: Any, session_factory: sessionmaker[Any]
) -> None:
    from rescity.core.accounts import create_user

    with session_factory() as session:
        me = create_user(session, username="duty1", password="long-enough-pw")
        other = create_user(session, username="duty2", password="long-enough-pw")
        token = issue_api_token(session, me)
        notify(session, recipient_user_id=me.id, kind="k", subject="before", body="")
        session.commit()
        me_id, other_id = me.id, other.id
    fast = settings.model_copy(update={"notify_sse_poll_s": 0.2})
    headers = {"Authorization": f"Bearer {token}"}
    with serving(create_app(fast, engine=engine)) as base, httpx.Client(timeout=15) as client:
        assert client.get(base + "/api/notifications/stream").status_code == 401
        with client.stream("GET", base + "/api/notifications/stream", headers=headers) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            lines = r.iter_lines()
            assert next(lines).startswith("retry: ") and next(lines) == ": connected"
            with session_factory() as session:
                notify(session, recipient_user_id=other_id, kind="k", subject="not mine",
                       body="")
                notify(session, recipient_user_id=me_id, kind="case.dispatched",
                       subject="新工单 #12", body="3 号楼漏水", link="/community/cases/12")
                session.commit()
            [live] = _events(lines, 1)
        assert (live["subject"], live["body"], live["link"]) == (
            "新工单 #12", "3 号楼漏水", "/community/cases/12")
        # A browser reconnecting with Last-Event-ID gets what it missed, in order.
        with client.stream("GET", base + "/api/notifications/stream",
                           headers=headers | {"Last-Event-ID": "0"}) as r:
            missed = _events(r.iter_lines(), 2)
        assert [e["subject"] for e in missed] == ["before", "新工单 #12"]
