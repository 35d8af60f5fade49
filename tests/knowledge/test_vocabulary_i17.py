"""Vocabulary gaps found on unseen cases (audit of issue #17): 城市更新 did not reach
old-neighbourhood renovation or micro-renewal, heritage did not reach industrial heritage,
and cities outside the seeds had no Chinese name (a case from Xiamen could not be found by 厦门)."""

from __future__ import annotations

from rescity.knowledge.domain.gazetteer import city_data
from rescity.knowledge.domain.thesaurus import concept_ids, thesaurus


def test_urban_renewal_reaches_its_narrower_concepts() -> None:
    th = thesaurus()
    wider = set(th.expansions("planning.urban_renewal"))
    assert {"planning.old_neighbourhood_renovation", "housing.neighbourhood_improvement"} <= wider
    assert "planning.industrial_heritage" in th.expansions("planning.cultural_heritage")
    assert "planning.urban_renewal" not in th.expansions("planning.old_neighbourhood_renovation")


def test_more_chinese_cities_have_their_chinese_names() -> None:
    for en, zh in (("Xiamen", "厦门"), ("Shenzhen", "深圳"), ("Ningbo", "宁波"), ("Wuxi", "无锡")):
        city = city_data(en, country="China")
        assert (city.name_zh, city.country) == (zh, "CN")


def test_new_concepts_join_the_two_languages() -> None:
    """Clean heating, street vending and ageing-friendly (适老化) apps are one concept each."""
    for zh, en in (
        ("推进清洁取暖", "Boilers were connected to district heating."),
        ("规范地摊经济", "Street vendors received licences."),
        ("政务应用适老化", "Apps offer an elderly mode with large fonts."),
    ):
        assert set(concept_ids(zh)) & set(concept_ids(en)), (zh, en)


def test_a_specific_label_names_one_concept() -> None:
    """夜间经济 was a label of both commerce and the night economy, so a query for the night
    economy found every record on shops and markets. SDG titles may repeat a concept's label."""
    owners: dict[str, set[str]] = {}
    for cid, concept in thesaurus().concepts.items():
        if not cid.startswith("sdg."):
            for label in (*concept.en, *concept.zh):
                owners.setdefault(label.lower(), set()).add(cid)
    shared = {label: ids for label, ids in owners.items() if len(ids) > 1}
    assert shared.keys() <= {"accessibility"}, shared
