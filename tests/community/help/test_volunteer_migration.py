"""The volunteers' migration copies the older whole-hour availability into shift slots, on
both backends, and the slots then decide matching like any others."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from rescity.community.help import shifts
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine
from tests.community.casework import World


def as_list(value: Any) -> Any:
    """A JSON column read with plain SQL: a list on PostgreSQL, its text on SQLite."""
    return value if isinstance(value, list) else json.loads(value)


def test_whole_hour_availability_becomes_slots(world: World, db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        migrate.downgrade(engine, "community_ops_0005_i16")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO community_ops_volunteer (user_id, scope, display_name, skills, "
                "languages, areas, radius_km, availability, capacity, vetting_state, vetted_by, "
                "completed, failed, active, created_at) VALUES (:u, :scope, 'Old', '[]', "
                "'[\"zh\"]', '[]', 2.0, :avail, 2, 'vetted', 'NGO', 0, 0, :t, :now)"),
                {"u": world.users["vol"], "scope": world.places["a1"].path,
                 "avail": '{"mon": [[9, 12], [20, 24]], "sat": [[0, 6]]}', "t": True,
                 "now": world.clock.now})
            conn.execute(text(
                "INSERT INTO community_ops_volunteer (user_id, scope, display_name, skills, "
                "languages, areas, radius_km, availability, capacity, vetting_state, vetted_by, "
                "completed, failed, active, created_at) VALUES (:u, :scope, 'Any', '[]', "
                "'[\"zh\"]', '[]', 2.0, '{}', 2, 'pending', '', 0, 0, :t, :now)"),
                {"u": world.users["vol2"], "scope": world.places["a1"].path, "t": True,
                 "now": world.clock.now})
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = dict(conn.execute(text(
                "SELECT display_name, slots FROM community_ops_volunteer")).all())
    finally:
        engine.dispose()
    old = as_list(rows["Old"])
    assert old == [{"day": "mon", "start": "09:00", "end": "12:00"},
                   {"day": "mon", "start": "20:00", "end": "24:00"},
                   {"day": "sat", "start": "00:00", "end": "06:00"}]
    assert shifts.parse_slots(old)  # valid slots
    assert as_list(rows["Any"]) == []
