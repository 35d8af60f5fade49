"""Venues and traces through the API and pages, on SQLite and PostgreSQL: who may register
and publish, what is stored (the venue key only sealed), what is audited, and what the
public list releases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rescity.community.tracing.adapters import Trace, TraceRelease, Venue
from rescity.community.tracing.domain import b64, check_in, match, read_fragment
from rescity.core.audit import AuditEntry
from rescity.core.i18n import catalog
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import World

PUBLISHED = "/api/community/tracing/published"


def register(w: World, who: str = "grid_a1", place: str = "a1", name: str = "Canteen") -> dict:  # type: ignore[type-arg]
    r = w.call(who, "POST", "/api/community/tracing/venues",
               json={"place": place, "name": name, "kind": "canteen"})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def trace(w: World, venue_id: int, hours_ago: float, hours: float, who: str = "health") -> object:
    start = w.clock() - timedelta(hours=hours_ago)
    return w.call(who, "POST", "/api/community/tracing/traces", json={
        "venue_id": venue_id, "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
        "advice": "Watch for fever for 14 days."})


def test_staff_in_scope_register_venues_and_the_key_is_stored_only_sealed(tw: World) -> None:
    venue = register(tw)
    code = read_fragment(venue["checkin_url"].split("#", 1)[1])
    assert venue["checkin_url"].split("#")[0].endswith("/trace")
    assert (code.name, code.kind, len(code.qk)) == ("Canteen", "canteen", 32)
    with UnitOfWork(tw.factory) as uow:
        row = uow.session.get(Venue, venue["id"])
        assert row is not None and b64(code.qk) not in row.key_sealed
        audit = uow.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "community.venue.create")).all()
        assert [(a.actor, a.record_id) for a in audit] == [("grid_a1", str(venue["id"]))]
    assert register(tw, "manager", "a2", "Lift lobby 2")["scope"].count("/") >= 5
    assert register(tw, "health", "b1", "Clinic")["id"]


def test_no_one_outside_the_scope_or_role_registers_a_venue(tw: World) -> None:
    body = {"place": "a1", "name": "Shop", "kind": "shop"}
    for who, expected in (("grid_b1", 403), ("alice", 403), ("dept", 403), ("anonymous", 403)):
        r = tw.call(who, "POST", "/api/community/tracing/venues", json=body)
        assert r.status_code == expected, (who, r.text)
    r = tw.call("grid_a1", "POST", "/api/community/tracing/venues",
                json={"place": "a1", "name": "Shop", "kind": "casino"})
    assert r.status_code == 422


def test_only_health_officers_publish_and_the_list_holds_the_window_slots(tw: World) -> None:
    venue = register(tw)
    for who in ("grid_a1", "manager", "alice", "dept"):
        assert trace(tw, venue["id"], 3, 2, who=who).status_code == 403  # type: ignore[attr-defined]
    assert tw.call("anonymous", "GET", PUBLISHED).json()["entries"] == []
    r = trace(tw, venue["id"], 3, 2)
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    listed = tw.call("anonymous", "GET", PUBLISHED).json()
    assert listed["slot_seconds"] == 3600 and 2 <= len(listed["entries"]) <= 3
    assert "Canteen" not in str(listed) and "fever" not in str(listed)
    with UnitOfWork(tw.factory) as uow:
        assert uow.session.scalars(select(AuditEntry.actor).where(
            AuditEntry.action == "community.trace.publish")).all() == ["health"]
    assert [t["venue_id"] for t in tw.call("health", "GET", "/api/community/tracing/traces")
            .json()] == [venue["id"]]
    assert tw.call("grid_a1", "GET", "/api/community/tracing/traces").json() == []


def test_windows_in_the_future_too_long_or_too_old_are_refused(tw: World) -> None:
    venue = register(tw)
    assert trace(tw, venue["id"], -2, 1).status_code == 422  # type: ignore[attr-defined]
    assert trace(tw, venue["id"], 24 * 9, 24 * 8).status_code == 422  # type: ignore[attr-defined]
    assert trace(tw, venue["id"], 24 * 15, 1).status_code == 422  # type: ignore[attr-defined]
    assert trace(tw, venue["id"], 1, -1).status_code == 422  # type: ignore[attr-defined]


def test_the_public_list_drops_traces_after_the_retention_period(tw: World) -> None:
    venue = register(tw)
    trace(tw, venue["id"], 2, 1)
    tw.clock.advance(days=13)
    assert tw.call("anonymous", "GET", PUBLISHED).json()["entries"]
    tw.clock.advance(days=2)
    assert tw.call("anonymous", "GET", PUBLISHED).json()["entries"] == []


def test_a_phone_that_was_there_matches_the_published_list(tw: World) -> None:
    venue = register(tw)
    code = read_fragment(venue["checkin_url"].split("#", 1)[1])
    now = tw.clock()
    there = check_in(code, now - timedelta(hours=2, minutes=30), now - timedelta(hours=2))
    later = check_in(code, now - timedelta(minutes=30), now)
    trace(tw, venue["id"], 3, 2)
    entries = tw.call("alice", "GET", PUBLISHED).json()["entries"]
    [exposure] = match(there, entries)
    assert exposure.venue == "Canteen" and exposure.advice == "Watch for fever for 14 days."
    assert match(later, entries) == []


def test_the_pages_register_print_and_trace(tw: World) -> None:
    h = tw.headers("health")
    page = tw.client.get("/community/tracing", headers=h)
    assert page.status_code == 200 and 'id="venue-form"' in page.text
    # the API's bearer token is exempt from CSRF; the form posts the same fields
    r = tw.client.post("/community/tracing/venues", headers=h, follow_redirects=False,
                       data={"place": "1", "name": "Pharmacy on 2nd Road", "kind": "shop"})
    assert r.status_code in (303, 403, 422)  # place 1 is the city: outside the officer's scope
    with UnitOfWork(tw.factory) as uow:
        from rescity.core.places import get_place
        a1 = get_place(uow.session, "a1").id
    r = tw.client.post("/community/tracing/venues", headers=h, follow_redirects=False,
                       data={"place": str(a1), "name": "Pharmacy on 2nd Road", "kind": "shop"})
    assert r.status_code == 303
    poster = tw.client.get(r.headers["location"], headers=h)
    assert poster.status_code == 200
    assert 'src="data:image/svg+xml' in poster.text and "/trace#v1." in poster.text
    with UnitOfWork(tw.factory) as uow:
        venue_id = uow.session.scalars(select(Venue.id)).one()
        reads = uow.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "community.venue.read_key")).all()
        assert [(a.kind, a.actor) for a in reads] == [("read", "health")]
    local = (tw.clock() - timedelta(hours=3)).astimezone(tw.runtime.zone)
    r = tw.client.post("/community/tracing/traces", headers=h, follow_redirects=False, data={
        "venue_id": str(venue_id), "start": local.strftime("%Y-%m-%dT%H:%M"),
        "end": (local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "advice": "Get tested"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=traced")
    with UnitOfWork(tw.factory) as uow:
        t = uow.session.scalars(select(Trace)).one()
        assert t.window_start == tw.clock() - timedelta(hours=3)
        assert len(uow.session.scalars(select(TraceRelease)).all()) == 1
    assert tw.client.get("/community/tracing/venues/1/poster",
                         headers=tw.headers("grid_b1")).status_code == 403


def test_the_check_in_page_is_public_sets_no_cookie_and_may_run_webassembly(tw: World) -> None:
    r = tw.client.get("/trace", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 200 and "set-cookie" not in r.headers
    assert "'wasm-unsafe-eval'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"].startswith("public")  # identical for every venue
    assert "扫码登记" in r.text and "/static/vendor/libsodium/libsodium-wrappers.js" in r.text


def test_every_venue_kind_has_a_label_in_both_catalogs() -> None:
    from rescity.community.tracing.domain import VenueKind

    for lang in ("zh", "en"):
        assert all(f"tr.kind.{k}" in catalog(lang) for k in VenueKind)


def test_staff_see_only_the_venues_and_traces_of_their_scope(tw: World) -> None:
    a1 = register(tw, "grid_a1", "a1", "Canteen A1")
    b1 = register(tw, "grid_b1", "b1", "Shop B1")
    assert trace(tw, a1["id"], 3, 1).status_code == 201  # type: ignore[attr-defined]
    names = {w: [v["name"] for v in tw.call(w, "GET", "/api/community/tracing/venues").json()]
             for w in ("grid_a1", "grid_b1", "health", "alice", "dept")}
    assert names == {"grid_a1": ["Canteen A1"], "grid_b1": ["Shop B1"],
                     "health": ["Canteen A1", "Shop B1"], "alice": [], "dept": []}
    assert tw.call("alice", "GET", "/community/tracing").status_code == 403
    assert tw.call("grid_b1", "GET", f"/community/tracing/venues/{a1['id']}/poster",
                   ).status_code == 403
    assert tw.call("grid_b1", "GET", f"/community/tracing/venues/{b1['id']}/poster",
                   ).status_code == 200
