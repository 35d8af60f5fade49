"""Register and share: all case-sheet fields, server-side validation, owner edits of a
published record reviewed while it stays live, no self-approval, one history rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from rescity.core.errors import InputError, PermissionDenied
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.orm import City
from rescity.knowledge.entrypoints.pages import _form_input
from rescity.knowledge.services import initiatives
from rescity.knowledge.services.initiatives import InitiativeInput

Maker = Callable[..., Principal]


@pytest.fixture
def with_city(import_file: Callable[..., Any], gz_path: Path) -> None:
    import_file(gz_path)


def sheet_input(**changes: Any) -> InitiativeInput:
    base: dict[str, Any] = {
        "city": "haikou",
        "title_en": "Mangrove classrooms",
        "abstract_en": "Schools use the mangrove wetland as a classroom.",
        "background_en": "Wetland loss along the river.",
        "key_measures_en": ["Field lessons", "Volunteer guides"],
        "innovative_aspects_en": "Teachers and rangers plan together.",
        "outcomes_en": "Visits rose from 2,000 to 9,000 pupils a year.",
        "lessons_en": "Start with one school.",
        "transferability_en": "Any city with a wetland park.",
        "budget": "1.2 million yuan",
        "period": "2021–2023",
        "stakeholders": "Education bureau; wetland park; NGOs",
        "contact": "wetland office, +86 898 0000",
        "source": "Haikou wetland report 2023",
        "tags": ["sdg4", "sdg14"],
        "year": 2023,
    }
    return InitiativeInput(**(base | changes))


def test_every_case_sheet_field_is_stored_and_read_back(
    session_factory: sessionmaker[Any], make_user: Maker, with_city: None
) -> None:
    user = make_user("wen")
    with UnitOfWork(session_factory) as uow:
        key = initiatives.submit(uow, user, sheet_input()).key
    with session_factory() as s:
        item = initiatives.get(s, key)
        back = initiatives.input_from_item(item)
    for name in ("background_en", "innovative_aspects_en", "lessons_en", *initiatives.SHEET_FIELDS):
        assert getattr(back, name) == getattr(sheet_input(), name), name
    assert back.tags == ["sdg4", "sdg14"]


def test_an_unknown_city_or_year_out_of_range_is_refused_and_no_city_is_created(
    session_factory: sessionmaker[Any], make_user: Maker, with_city: None
) -> None:
    user = make_user("wen")
    with session_factory() as s:
        cities = s.scalar(select(func.count()).select_from(City))
    with UnitOfWork(session_factory) as uow, pytest.raises(InputError) as err:
        initiatives.submit(uow, user, sheet_input(city="Atlantis", year=-5))
    assert {p.where for p in err.value.problems} >= {"city", "year"}
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(City)) == cities


@pytest.mark.parametrize(("typed", "year"), [("-5", -5), ("abc", 0), ("", None), ("2021", 2021)])
def test_a_typed_year_is_never_dropped_silently(typed: str, year: int | None) -> None:
    data, _ = _form_input({"year": typed, "city": "haikou"})
    assert data.year == year


def test_an_owner_edit_of_a_published_record_waits_while_the_published_version_stays(
    session_factory: sessionmaker[Any], make_user: Maker, with_city: None
) -> None:
    owner, editor = make_user("owner"), make_user("editor", "knowledge_editor")
    with UnitOfWork(session_factory) as uow:
        key = initiatives.submit(uow, owner, sheet_input()).key
    with UnitOfWork(session_factory) as uow:
        initiatives.review(uow, editor, key, "publish")
    with UnitOfWork(session_factory) as uow:
        initiatives.update(
            uow, owner, key, sheet_input(title_en="Mangrove classrooms (typo fixed)")
        )
    with session_factory() as s:
        item = initiatives.get(s, key)
        assert item.status == "published" and item.title_en == "Mangrove classrooms"
        assert item.pending_content is not None
        assert key in [i.key for i in initiatives.review_queue(s, editor)]
        version = item.version
    with UnitOfWork(session_factory) as uow:
        initiatives.review(uow, editor, key, "publish")
    with session_factory() as s:
        item = initiatives.get(s, key)
        assert item.title_en == "Mangrove classrooms (typo fixed)"
        assert item.status == "published" and item.version == version + 1
        assert item.pending_content is None


def test_nobody_approves_their_own_submission(
    session_factory: sessionmaker[Any], make_user: Maker, with_city: None
) -> None:
    editor = make_user("editor", "knowledge_editor")
    with UnitOfWork(session_factory) as uow:
        key = initiatives.submit(uow, editor, sheet_input()).key
    with UnitOfWork(session_factory) as uow, pytest.raises(PermissionDenied):
        initiatives.review(uow, editor, key, "publish")
    with session_factory() as s:
        assert initiatives.get(s, key).status == "submitted"


def test_history_is_for_the_owner_and_editors_only(
    session_factory: sessionmaker[Any], make_user: Maker, with_city: None
) -> None:
    owner, other = make_user("owner"), make_user("other")
    editor = make_user("editor", "knowledge_editor")
    with UnitOfWork(session_factory) as uow:
        key = initiatives.submit(uow, owner, sheet_input()).key
    with session_factory() as s:
        item = initiatives.get(s, key)
        assert initiatives.can_see_history(owner, item)
        assert initiatives.can_see_history(editor, item)
        assert not initiatives.can_see_history(other, item)
        assert not initiatives.can_see_history(None, item)
