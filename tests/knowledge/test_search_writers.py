"""Concurrent writers of the search index on PostgreSQL: the index's version token
(adapters/search_cache.py) must not make two transactions wait for each other.

The token used to be replaced by every statement that wrote ``kb_search_pg``, so a
transaction held the one version row locked from its first index write to its commit: a
second writer that had locked a record and then wrote the index waited for it, and when the
first then touched that record, each waited for the other (PostgreSQL aborted one with a
deadlock). The token is now replaced once, at commit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import sessionmaker

from rescity.core.security.policy import Principal
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.importers import parse_file
from rescity.knowledge.adapters.orm import Initiative
from rescity.knowledge.adapters.search_index import SearchIndex
from rescity.knowledge.services import initiatives
from rescity.knowledge.services.catalogue import ImportSummary, apply_import
from rescity.knowledge.services.search import SearchQuery, search


def _waiting(factory: sessionmaker[Any]) -> bool:
    """Whether another session of this database waits for a lock."""
    with factory() as session:
        return bool(
            session.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        )


def test_an_edit_during_a_longer_index_write_neither_waits_nor_deadlocks(
    import_file: Callable[..., ImportSummary],
    gz_path: Path,
    session_factory: sessionmaker[Any],
    make_user: Callable[..., Principal],
) -> None:
    if session_factory.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    import_file(gz_path)
    editor = make_user("editor", "knowledge_editor")
    with session_factory() as session:
        items = session.scalars(select(Initiative).order_by(Initiative.id).limit(2)).all()
        (first, _), (other, other_id) = [(i.key, i.id) for i in items]
    errors: list[BaseException] = []

    def edit() -> None:
        # an editor's change to `other`: locks its row, writes the index, commits
        try:
            with UnitOfWork(session_factory) as uow:
                data = initiatives.input_from_item(initiatives.get(uow.session, other))
                data.title_en = "Neighbourhood flood wardens"
                initiatives.update(uow, editor, other, data)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with UnitOfWork(session_factory) as uow:
        # a longer transaction (an import, a reindex) has written the index…
        SearchIndex(uow.session).put(initiatives.get(uow.session, first))
        uow.session.flush()
        editing = threading.Thread(target=edit)
        editing.start()
        deadline = time.monotonic() + 20
        while editing.is_alive() and not _waiting(session_factory):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # …the edit has finished, or waits for this transaction; now this one writes the
        # record the edit has locked (waiting for it, if the edit has not committed)
        uow.session.execute(
            update(Initiative).where(Initiative.id == other_id).values(year=2030)
        )
        uow.commit()
        editing.join(timeout=30)
    assert not editing.is_alive()
    assert errors == []
    with session_factory() as session:
        hits = search(session, SearchQuery(q="flood wardens")).hits
        assert [h.item.id for h in hits][:1] == [other_id]
        assert session.execute(
            select(Initiative.year).where(Initiative.id == other_id)
        ).scalar_one() == 2030


def _triggers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'kb_search_pg'::regclass"
                " AND tgname LIKE 'kb_search_pg_%'"
            )
        )
        return {str(r[0]) for r in rows}


def test_the_migration_moves_an_existing_index_to_the_token_at_commit(
    db_url: str, seeds_dir: Path
) -> None:
    """An index created before (its token replaced by every write) gets the commit-time
    trigger from the migration: a search's own ensure() would roll it back with the
    search's read-only transaction, and then rerun it at every search."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite's index has one writer at a time")
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with UnitOfWork(factory) as uow:
        path = seeds_dir / "guangzhou-award-6th-chinese-initiatives.txt"
        apply_import(uow, parse_file(path, "guangzhou-award"))
    assert _triggers(engine) == {"kb_search_pg_bump", "kb_search_pg_commit"}
    migrate.downgrade(engine, "knowledge_0006_i17_rank_plain")
    assert _triggers(engine) == {"kb_search_pg_bump"}
    with factory() as session:  # a search alone does not keep what its ensure() creates
        search(session, SearchQuery(q="water"))
    assert _triggers(engine) == {"kb_search_pg_bump"}
    migrate.upgrade(engine)
    assert _triggers(engine) == {"kb_search_pg_bump", "kb_search_pg_commit"}
    with factory() as session:
        assert search(session, SearchQuery(q="water")).total >= 2
    engine.dispose()
