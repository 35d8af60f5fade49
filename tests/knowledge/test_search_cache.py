"""Search's in-process copy of the index's narrow rows (adapters/search_cache.py) follows
every change to the index: through the services, by a rebuild, by hand in SQL, in this
session or another, and not a change that was rolled back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.orm import Initiative
from rescity.knowledge.adapters.search_cache import CACHE
from rescity.knowledge.adapters.search_index import SearchIndex
from rescity.knowledge.services import initiatives
from rescity.knowledge.services.catalogue import ImportSummary, reindex
from rescity.knowledge.services.search import SearchQuery, search

View = tuple[int, dict[str, dict[str, int]], list[str]]


def _view(session: Session, query: SearchQuery) -> View:
    result = search(session, query)
    facets = {f: {v.value: v.count for v in vs} for f, vs in result.facets.items()}
    return result.total, facets, [h.item.key for h in result.hits]


def _views(factory: sessionmaker[Any], reader: Session, query: SearchQuery) -> View:
    """What a new session sees, checked to be what a long-lived one (``reader``) sees."""
    with factory() as session:
        fresh = _view(session, query)
    reader.rollback()
    assert _view(reader, query) == fresh
    return fresh


def _meta(session: Session) -> str:
    return "kb_fts_meta" if session.get_bind().dialect.name == "sqlite" else "kb_search_pg"


def test_search_follows_every_change_to_the_index(
    import_file: Callable[..., ImportSummary],
    gz_path: Path,
    session_factory: sessionmaker[Any],
    make_user: Callable[..., Principal],
) -> None:
    import_file(gz_path)
    user, editor = make_user("zhang"), make_user("editor", "knowledge_editor")
    with session_factory() as reader:  # closed even if an assertion fails
        water = SearchQuery(q="water", per_page=100)
        total, facets, _ = _views(session_factory, reader, water)
        everything = _views(session_factory, reader, SearchQuery(per_page=100))
        assert total >= 2

        # submitted (not yet searchable), then published: found, and counted in the facets
        data = initiatives.InitiativeInput(
            city="guangzhou",
            title_en="Water-sensitive streets in old neighbourhoods",
            abstract_en="Rain gardens and permeable paving keep water out of homes.",
            year=2031,
        )
        with UnitOfWork(session_factory) as uow:
            key = initiatives.submit(uow, user, data).key
        assert _views(session_factory, reader, water)[0] == total
        with UnitOfWork(session_factory) as uow:
            initiatives.review(uow, editor, key, "publish")
        after = _views(session_factory, reader, water)
        assert after[0] == total + 1 and key in after[2]
        assert after[1]["year"]["2031"] == 1
        assert after[1]["city"]["guangzhou"] == facets["city"].get("guangzhou", 0) + 1

        # an edit of its tags and year
        with UnitOfWork(session_factory) as uow:
            edit = initiatives.input_from_item(initiatives.get(uow.session, key))
            edit.tags, edit.year = ["sdg6"], 2032
            initiatives.update(uow, editor, key, edit)
        tagged = _views(session_factory, reader, SearchQuery(q="water", sdg="sdg6", per_page=100))
        assert key in tagged[2] and tagged[1]["year"]["2032"] == 1
        assert "2031" not in _views(session_factory, reader, water)[1]["year"]

        # a write by hand in SQL (a migration, an operator): the trigger replaces the token
        with UnitOfWork(session_factory) as uow:
            meta = _meta(uow.session)
            item_id = uow.session.execute(
                select(Initiative.id).where(Initiative.key == key)
            ).scalar_one()
            set_year = text(f"UPDATE {meta} SET year = 2033 WHERE id = :id")
            uow.session.execute(set_year, {"id": item_id})
            uow.commit()
        assert _views(session_factory, reader, water)[1]["year"]["2033"] == 1

        # a change not committed: its own session sees it, no other, and not after rollback
        with session_factory() as writer:
            writer.execute(text(f"UPDATE {meta} SET year = 2034 WHERE id = :id"), {"id": item_id})
            assert _view(writer, water)[1]["year"]["2034"] == 1
            assert "2034" not in _views(session_factory, reader, water)[1]["year"]
            writer.rollback()
            assert "2034" not in _view(writer, water)[1]["year"]
        assert _views(session_factory, reader, water)[1]["year"]["2033"] == 1

        # removed from the index
        with UnitOfWork(session_factory) as uow:
            SearchIndex(uow.session).remove(item_id)
            uow.commit()
        assert _views(session_factory, reader, water)[:2] == (total, facets)

        # rebuilt: every record as it is now (the new one included again, year 2032)
        with UnitOfWork(session_factory) as uow:
            reindex(uow)
        rebuilt = _views(session_factory, reader, SearchQuery(per_page=100))
        assert rebuilt[0] == everything[0] + 1 and rebuilt[1]["year"]["2032"] == 1


def test_searches_share_one_copy_until_the_index_changes(
    import_file: Callable[..., ImportSummary], gz_path: Path, session_factory: sessionmaker[Any]
) -> None:
    import_file(gz_path)
    with session_factory() as session:
        search(session, SearchQuery(q="water"))
        key = session.get_bind().engine.url.render_as_string(hide_password=True)
        first = CACHE.get(key)
        search(session, SearchQuery(q="housing"))
        search(session, SearchQuery(q=""))
        assert CACHE.get(key) is first
    with UnitOfWork(session_factory) as uow:
        reindex(uow)
    with session_factory() as session:
        search(session, SearchQuery(q="water"))
        assert CACHE.get(key) is not first
