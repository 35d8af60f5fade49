"""The bilingual thesaurus: its shape, its sources checked against the seed documents, and
finding concepts in text."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescity.knowledge.domain.thesaurus import concept_ids, thesaurus

SEED_OF = {
    "gz6": "guangzhou-award-6th-chinese-initiatives.txt",
    "unh": "unhabitat-future-cities-outlook-2022-zh.txt",
    "sic": "socially-integrative-cities-covid19.txt",
    "iuc": "iuc-city-to-city-cooperation.txt",
    "iurc": "iurc-china-news.txt",
}


def test_every_concept_has_both_languages_a_known_source_and_its_own_token() -> None:
    th = thesaurus()
    assert len(th.concepts) >= 250
    assert {c.scheme for c in th.concepts.values()} >= {
        "planning", "resilience", "housing", "water", "health", "governance",
        "mobility", "environment", "social", "digital",
    }  # fmt: skip
    for c in th.concepts.values():
        assert c.en and c.zh and c.source in th.sources, c.id
    assert len({c.token("en") for c in th.concepts.values()}) == len(th.concepts)


def test_a_concept_sourced_from_a_seed_document_is_named_in_it(seeds_dir: Path) -> None:
    th = thesaurus()
    found = {
        key: {(f.concept, f.lang) for f in th.find((seeds_dir / name).read_text("utf-8"))}
        for key, name in SEED_OF.items()
    }
    for c in th.concepts.values():
        if c.source not in SEED_OF:
            continue
        seen = found[c.source]
        if c.source == "sic":  # a bilingual document: both labels must be there
            assert (c.id, "en") in seen and (c.id, "zh") in seen, c.id
        elif c.source == "unh":  # the Chinese edition
            assert (c.id, "zh") in seen, c.id
        else:
            assert (c.id, "en") in seen or (c.id, "zh") in seen, c.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Sponge cities reduce waterlogging",
            {"water.sponge_city", "resilience.urban_waterlogging"},
        ),
        (
            "老旧小区改造与加装电梯",
            {"planning.old_neighbourhood_renovation", "housing.elevator_retrofit"},
        ),
        ("the COVID-19 pandemic and SDG 11", {"resilience.pandemic", "sdg.sdg11"}),
        ("可持续发展目标11和15分钟生活圈", {"sdg.sdg11", "planning.fifteen_minute_city"}),
    ],
)
def test_concepts_are_found_in_either_language(text: str, expected: set[str]) -> None:
    assert expected <= set(concept_ids(text))


def test_a_label_ending_in_a_digit_is_not_found_inside_a_longer_number() -> None:
    assert "sdg.sdg1" not in concept_ids("可持续发展目标11")


def test_links_expand_a_query_to_narrower_and_related_concepts_only() -> None:
    th = thesaurus()
    # related is symmetric; broader expands a query downwards, never upwards
    assert "resilience.pandemic" in th.expansions("resilience.epidemic_prevention")
    assert "resilience.epidemic_prevention" in th.expansions("resilience.pandemic")
    assert "water.rain_garden" in th.expansions("water.sponge_city")
    assert "water.sponge_city" not in th.expansions("water.rain_garden")
    assert th.broader["water.rain_garden"] == ("water.sponge_city",)
    with pytest.raises(ValueError, match="link"):
        type(th)(list(th.concepts.values()), th.sources, {"related": [["water.x", "water.y"]]})
