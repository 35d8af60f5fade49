"""How the PostgreSQL search index stores what every search reads for each of its matches."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import parse_file
from rescity.knowledge.services.catalogue import apply_import
from rescity.knowledge.services.search import SearchQuery, search

FILTER_COLUMNS = ("city_key", "country", "status", "tag_text")


def _storage(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT attname, attstorage FROM pg_attribute"
                " WHERE attrelid = 'kb_search_pg'::regclass AND attnum > 0"
            )
        )
        return {str(name): str(storage) for name, storage in rows}


def _facets(engine: Engine) -> dict[str, dict[str, int]]:
    with make_session_factory(engine)() as session:
        result = search(session, SearchQuery(q="water"))
        return {f: {v.value: v.count for v in vs} for f, vs in result.facets.items()}


def test_filter_columns_stay_in_the_row_uncompressed_and_the_migration_moves_them(
    db_url: str, seeds_dir: Path
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's index has no storage settings")
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with UnitOfWork(factory) as uow:
        path = seeds_dir / "guangzhou-award-6th-chinese-initiatives.txt"
        apply_import(uow, parse_file(path, "guangzhou-award"))
    # created on first use with PLAIN storage (never out of line, never compressed)
    storage = _storage(engine)
    assert {c: storage[c] for c in FILTER_COLUMNS} == dict.fromkeys(FILTER_COLUMNS, "p")
    assert storage["rank_tsv"] == "m"
    facets = _facets(engine)
    assert facets["sdg"]["sdg6"] >= 2
    # an index created before the migration (default storage) is moved to it
    migrate.downgrade(engine, "knowledge_0004_i17_rank_inline")
    storage = _storage(engine)
    assert {c: storage[c] for c in FILTER_COLUMNS} == dict.fromkeys(FILTER_COLUMNS, "x")
    migrate.upgrade(engine)
    storage = _storage(engine)
    assert {c: storage[c] for c in FILTER_COLUMNS} == dict.fromkeys(FILTER_COLUMNS, "p")
    assert _facets(engine) == facets  # the rows rewritten with their values intact
    engine.dispose()
