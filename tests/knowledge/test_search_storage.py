"""How the PostgreSQL search index stores what every search reads for each of its matches."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import parse_file
from rescity.knowledge.adapters.search_index import RANK_BYTES
from rescity.knowledge.domain.gazetteer import known_cities
from rescity.knowledge.domain.model import ImportResult, InitiativeData
from rescity.knowledge.services.catalogue import apply_import
from rescity.knowledge.services.search import SearchQuery, search

FILTER_COLUMNS = ("city_key", "country", "status", "tag_text")
ROW_COLUMNS = (*FILTER_COLUMNS, "rank_tsv")  # read for every match: in the row, uncompressed


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
    assert {c: storage[c] for c in ROW_COLUMNS} == dict.fromkeys(ROW_COLUMNS, "p")
    facets = _facets(engine)
    assert facets["sdg"]["sdg6"] >= 2
    # an index created before the migration (default storage) is moved to it
    migrate.downgrade(engine, "knowledge_0004_i17_rank_inline")
    storage = _storage(engine)
    assert {c: storage[c] for c in FILTER_COLUMNS} == dict.fromkeys(FILTER_COLUMNS, "x")
    assert storage["rank_tsv"] == "m"  # as knowledge_0004 left it
    migrate.upgrade(engine)
    storage = _storage(engine)
    assert {c: storage[c] for c in ROW_COLUMNS} == dict.fromkeys(ROW_COLUMNS, "p")
    assert _facets(engine) == facets  # the rows rewritten with their values intact
    engine.dispose()


def test_a_record_with_very_long_words_is_indexed_and_ranked(db_url: str) -> None:
    """The ranking tsvector is kept uncompressed in the row (PostgreSQL), so it is bounded:
    a 400-character Chinese title and a text of 150-letter "words" (pasted codes, say)
    would make it ≈ 15 kB, too big for the row's page, and the record is still found by
    its title's and text's words."""
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    rng = random.Random(17)
    title = "".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(400))
    codes = ["".join(rng.choice("abcdefghij") for _ in range(150)) for _ in range(60)]
    data = ImportResult(source="long-words", format="test")
    data.cities = [known_cities()["guangzhou"].data()]
    data.initiatives = [
        InitiativeData(
            key="long-words",
            city_key="guangzhou",
            title_zh=title,
            title_en="A record with long words",
            abstract_en=" ".join(codes),
            source_document="test",
        )
    ]
    factory = make_session_factory(engine)
    with UnitOfWork(factory) as uow:
        apply_import(uow, data)
    with factory() as session:
        for q in (title[300:302], codes[59], "record"):
            found = search(session, SearchQuery(q=q), include_unpublished=True)
            assert [h.item.key for h in found.hits] == ["long-words"], q
    if db_url.startswith("postgresql"):
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_column_size(rank_tsv) FROM kb_search_pg"))
            assert size.scalar_one() <= RANK_BYTES + 8
    engine.dispose()


def test_an_import_leaves_no_pending_entries_for_every_search_to_scan(db_url: str) -> None:
    """GIN adds new entries to a pending list that each search of the index reads whole
    until a VACUUM or an autoanalyze merges it; a manual ANALYZE does not. An import
    merges it itself (after the benchmark's 10,000 records it held 284 pages)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's FTS5 index has no pending list")
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    rng = random.Random(5)
    words = ["flood", "housing", "park", "school", "water", "transit", "heritage", "energy"]
    data = ImportResult(source="many", format="test")
    data.cities = [known_cities()["guangzhou"].data()]
    data.initiatives = [
        InitiativeData(
            key=f"many-{n:03d}",
            city_key="guangzhou",
            title_en=f"Record {n} on {rng.choice(words)}",
            abstract_en=" ".join(f"{rng.choice(words)} w{rng.randrange(500)}" for _ in range(300)),
            source_document="test",
        )
        for n in range(120)
    ]
    with UnitOfWork(make_session_factory(engine)) as uow:
        apply_import(uow, data)
    with engine.begin() as conn:
        merged = conn.execute(text("SELECT gin_clean_pending_list('ix_kb_search_pg_tsv')"))
        assert merged.scalar_one() == 0  # nothing left to merge
    with make_session_factory(engine)() as session:
        found = search(session, SearchQuery(q="water"), include_unpublished=True)
        assert found.total >= 100
    engine.dispose()
