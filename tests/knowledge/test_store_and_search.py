"""Storing imports (idempotent, one transaction) and searching them, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters import search_index
from rescity.knowledge.adapters.orm import City, CityProfile, Initiative, InitiativeVersion
from rescity.knowledge.services import initiatives
from rescity.knowledge.services.catalogue import ImportSummary
from rescity.knowledge.services.search import SearchQuery, search

Importer = Callable[..., ImportSummary]


def keys(factory: sessionmaker[Any], q: str, **filters: Any) -> list[str]:
    with factory() as session:
        return [h.item.key for h in search(session, SearchQuery(q=q, **filters)).hits]


def test_import_stores_every_case_with_its_city_profile(
    import_file: Importer, gz_path: Path, session_factory: sessionmaker[Any]
) -> None:
    summary = import_file(gz_path)
    assert len(summary.created) == 12
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Initiative)) == 12
        haikou = session.scalar(select(City).where(City.key == "haikou"))
        assert haikou is not None and haikou.name_zh == "海口"
        profile = session.scalar(select(CityProfile).where(CityProfile.city_id == haikou.id))
        assert profile is not None and profile.population == 2_908_000
        assert profile.density == pytest.approx(2_908_000 / 2296.82)
        assert profile.stated_density == 1280


def test_reimport_is_idempotent(
    import_file: Importer, gz_path: Path, session_factory: sessionmaker[Any]
) -> None:
    import_file(gz_path)
    again = import_file(gz_path)
    assert again.created == [] and again.updated == []
    assert len(again.unchanged) == 12
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Initiative)) == 12
        assert session.scalar(select(func.count()).select_from(City)) == 12
        assert session.scalar(select(func.count()).select_from(InitiativeVersion)) == 12


def test_reimport_keeps_edits_made_in_the_app_unless_forced(
    import_file: Importer,
    gz_path: Path,
    session_factory: sessionmaker[Any],
    make_user: Callable[..., Principal],
) -> None:
    import_file(gz_path)
    editor = make_user("editor", "knowledge_editor")
    with session_factory() as session:
        data = initiatives.input_from_item(initiatives.get(session, "gz6-haikou"))
    data.title_zh = "海口：蜂虎保护（编辑后）"
    with UnitOfWork(session_factory) as uow:
        initiatives.update(uow, editor, "gz6-haikou", data, note="better zh title")
    kept = import_file(gz_path)
    assert kept.kept_local_edits == ["gz6-haikou"]
    with session_factory() as session:
        assert initiatives.get(session, "gz6-haikou").title_zh == "海口：蜂虎保护（编辑后）"
    forced = import_file(gz_path, force=True)
    assert forced.updated == ["gz6-haikou"]
    with session_factory() as session:
        assert initiatives.get(session, "gz6-haikou").title_zh == "海口：五源河下游蓝喉蜂虎保护"


def test_a_failing_import_leaves_nothing_half_written(
    import_file: Importer,
    gz_path: Path,
    session_factory: sessionmaker[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing_put_many(self: search_index.SearchIndex, docs: list[Any]) -> None:
        raise RuntimeError("disk full")  # after every row was added to the session

    monkeypatch.setattr(search_index.SearchIndex, "put_many", failing_put_many)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(gz_path)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Initiative)) == 0
        assert session.scalar(select(func.count()).select_from(City)) == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("school", {"gz6-xianning", "gz6-nanjing"}),
        ("flood", {"gz6-fuzhou", "gz6-bijie"}),
        ("sponge city", {"gz6-bijie", "gz6-nanjing"}),
        ("transitional housing", {"gz6-hong-kong"}),
        ("bee-eaters", {"gz6-haikou"}),
        ("neonatal jaundice", {"gz6-guangzhou"}),
        ("Shijiazhuang expressway", {"gz6-shijiazhuang"}),
        # Chinese: two-character queries on zh titles and city names
        ("海口", {"gz6-haikou"}),
        ("香港", {"gz6-hong-kong"}),
        # the English cases that speak of resilience, through the thesaurus
        ("韧性", {"gz6-fuzhou", "gz6-xianning", "gz6-shijiazhuang"}),
        ("更新", {"gz6-shanghai", "gz6-nanjing", "gz6-shijiazhuang"}),
        ("房屋", {"gz6-hong-kong"}),
        ("过渡性房屋", {"gz6-hong-kong"}),
        ("智网", {"gz6-dongguan"}),
        ("专利导航", {"gz6-harbin"}),
        ("交通安全", {"gz6-xianning"}),
    ],
)
def test_zh_and_en_queries_find_the_expected_cases(
    import_file: Importer,
    gz_path: Path,
    session_factory: sessionmaker[Any],
    query: str,
    expected: set[str],
) -> None:
    import_file(gz_path)
    assert set(keys(session_factory, query)) == expected


def test_a_submitted_chinese_initiative_is_found_by_chinese_words_once_published(
    import_file: Importer,
    gz_path: Path,
    session_factory: sessionmaker[Any],
    make_user: Callable[..., Principal],
) -> None:
    import_file(gz_path)
    user, editor = make_user("zhang"), make_user("editor", "knowledge_editor")
    data = initiatives.InitiativeInput(
        city="guangzhou",
        title_zh="广州海绵城市建设与15分钟社区生活圈",
        abstract_zh="通过海绵城市改造提升城市韧性，并完善社区生活圈的公共服务设施。",
        key_measures_zh=["建设雨水花园", "改造老旧小区"],
    )
    with UnitOfWork(session_factory) as uow:
        key = initiatives.submit(uow, user, data).key
    assert key not in keys(session_factory, "海绵城市")  # not published yet
    with UnitOfWork(session_factory) as uow:
        initiatives.review(uow, editor, key, "publish")
    for q in ("海绵城市", "生活圈", "海绵", "雨水", "社区", "韧性 海绵城市", "老旧小区"):
        assert key in keys(session_factory, q), q
    assert {key, "gz6-fuzhou"} <= set(keys(session_factory, "韧性"))
    # and the other way round: English words find the record written only in Chinese
    for q in ("sponge city", "rain garden", "old residential areas", "resilience"):
        assert key in keys(session_factory, q), q


def test_facets_filters_ranking_highlighting_and_pages(
    seeded: sessionmaker[Any],
) -> None:
    with seeded() as session:
        result = search(session, SearchQuery(q="water", per_page=2, lang="en"))
        assert result.total >= 3
        assert len(result.hits) == 2 and result.pages == -(-result.total // 2)
        assert {h.item.key for h in result.hits} == {"gz6-fuzhou", "gz6-bijie"}  # titles rank
        assert "<mark>Water</mark>" in str(result.hits[0].title)
        assert "<mark>" in str(result.hits[0].snippet)
        second = search(session, SearchQuery(q="water", per_page=2, page=2))
        assert {h.item.key for h in second.hits}.isdisjoint({"gz6-fuzhou", "gz6-bijie"})
        facets = {f: {v.value: v.count for v in vs} for f, vs in result.facets.items()}
        assert facets["country"] == {"CN": result.total}
        assert facets["year"] == {"2023": result.total}
        assert facets["sdg"]["sdg6"] >= 2
        only_sdg6 = search(session, SearchQuery(q="water", sdg="sdg6"))
        assert only_sdg6.total == facets["sdg"]["sdg6"]
        by_city = search(session, SearchQuery(city="harbin"))
        assert [h.item.key for h in by_city.hits] == ["gz6-harbin"]
        everything = search(session, SearchQuery(per_page=100))
        assert everything.total == 12
        zh = search(session, SearchQuery(q="福州", lang="zh"))
        assert "<mark>福州</mark>" in str(zh.hits[0].title)


def test_queries_with_search_syntax_are_taken_as_words(seeded: sessionmaker[Any]) -> None:
    for q in ('"', "water OR", "NEAR(", "a & b | !c", "'; DROP TABLE kb_initiative; --", "*"):
        with seeded() as session:
            search(session, SearchQuery(q=q))  # no syntax error, whatever it finds
