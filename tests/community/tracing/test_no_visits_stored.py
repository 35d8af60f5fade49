"""1,000 check-ins through every request the visitor's page makes leave the database exactly
as it was, and no table can link a person, device or account to a venue or a time; on
SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select

from rescity.community.tracing.domain import StoredVisit, check_in, match, read_fragment
from rescity.core.storage.db import Base
from tests.community.conftest import World

pytestmark = pytest.mark.slow

CHECK_INS = 1000
PAGE_ASSETS = ("/static/vendor/libsodium/libsodium.js",
               "/static/vendor/libsodium/libsodium-wrappers.js", "/static/tracing/tracing.js")
TRACING_TABLES = {"community_tracing_venue", "community_tracing_trace",
                  "community_tracing_release"}
PEOPLE_TABLES = {"app_user", "community_resident", "community_household"}


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def test_a_thousand_check_ins_store_nothing_on_the_server(tw: World) -> None:
    venues = []
    for i, place in enumerate(("a1", "a2", "b1")):
        r = tw.call("health", "POST", "/api/community/tracing/venues",
                    json={"place": place, "name": f"Venue {i}", "kind": "shop"})
        assert r.status_code == 201
        venues.append(read_fragment(r.json()["checkin_url"].split("#", 1)[1]))
    before = snapshot(tw.engine)
    phones: list[list[StoredVisit]] = [[] for _ in range(50)]
    rng = random.Random(16)
    now = tw.clock()
    for _ in PAGE_ASSETS:
        assert tw.client.get(_).status_code == 200
    for n in range(CHECK_INS):
        # what a phone's browser requests: the page (the fragment stays in the phone) and the
        # public list; the page's scripts come from the browser's cache after the first visit
        page = tw.client.get("/trace", headers={"Accept-Language": "en"})
        assert page.status_code == 200 and "set-cookie" not in page.headers
        assert tw.client.get("/api/community/tracing/published").status_code == 200
        arrival = now - timedelta(minutes=rng.randrange(30, 12 * 60))
        phones[n % len(phones)] += check_in(rng.choice(venues), arrival,
                                            arrival + timedelta(minutes=rng.choice((30, 60))))
    assert snapshot(tw.engine) == before

    schema = inspect(tw.engine)
    for table in schema.get_table_names():
        targets = {fk["referred_table"] for fk in schema.get_foreign_keys(table)}
        columns = {c["name"] for c in schema.get_columns(table)}
        if table in TRACING_TABLES:
            assert targets <= TRACING_TABLES, table  # no person, device or account
            assert not {"user_id", "resident_id", "device_id", "actor_id"} & columns, table
        else:  # nothing else points at a venue or a trace
            assert not targets & TRACING_TABLES, table
        assert not (targets & TRACING_TABLES and targets & PEOPLE_TABLES), table

    # the phones still learn of a case: a trace of venue 0, 6 to 3 hours ago
    venue_id = tw.call("health", "GET", "/api/community/tracing/venues").json()[0]["id"]
    r = tw.call("health", "POST", "/api/community/tracing/traces", json={
        "venue_id": venue_id, "start": (now - timedelta(hours=6)).isoformat(),
        "end": (now - timedelta(hours=3)).isoformat(), "advice": "Get tested today."})
    assert r.status_code == 201, r.text
    entries = tw.client.get("/api/community/tracing/published").json()["entries"]
    warned = [p for p in phones if match(p, entries)]
    assert 0 < len(warned) < len(phones)
