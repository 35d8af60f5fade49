"""Cooperation on the imported seeds: profiles, events, matching evidence, gaps, pairings, plans."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from rescity.core.errors import Conflict, InputError, PermissionDenied
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.orm import City, Event, Partner
from rescity.knowledge.domain.gaps import concepts_for, directness, measured_gaps
from rescity.knowledge.services import cooperation, plans

# the keys `rescity assess` writes (rescity/assess/domain/summary.py), figures from the
# Nanjing Xinjiekou extract, the composite given a large low share on purpose
SUMMARY: dict[str, Any] = {
    "source": "/data/osm/nanjing_xinjiekou.osm.pbf",
    "population": 32955.07,
    "indices": {
        "life_service": {"median": 0.7413, "share_low": 0.3436, "low": 0.5},
        "disaster": {"median": 1.0, "share_low": 0.0018, "low": 0.5},
        "transport": {"median": 2.1366, "share_low": 0.0, "low": 1.0},
        "environment": {"median": 0.4725, "share_low": 0.6764, "low": 0.5},
        "health_resilience": {"median": 0.7213, "share_low": 0.9, "low": 0.5},
        "disaster_medical": {"median": 1.0, "share_low": 0.0, "low": None},
    },
    "missing_items": ["community_culture_room", "community_service_centre", "elderly_care"],
    "coverage": {
        "fitness_spot": {"5min": 0.0, "10min": 0.0, "15min": 0.0203},
        "primary_school": {"5min": 0.69, "10min": 0.93, "15min": 0.98},
        "elderly_care": {"5min": 0.0, "10min": 0.0, "15min": 0.0},
    },
}


def test_measured_gaps_are_absolute_never_the_composite() -> None:
    measured = measured_gaps(SUMMARY)
    assert measured.area == "nanjing_xinjiekou.osm.pbf"
    keys = {g.key: g for g in measured.gaps}
    assert "health_resilience" not in keys  # the composite, however low
    assert "transport" not in keys  # nobody below low: no gap
    assert keys["life_service"].severity == pytest.approx(0.3436)
    assert keys["elderly_care"].how == "missing" and keys["elderly_care"].severity == 1.0
    assert keys["fitness_spot"].how == "beyond"
    assert keys["fitness_spot"].severity == pytest.approx(1 - 0.0203)
    assert "primary_school" not in keys  # 98 % reach one
    assert keys["life_service"].measured("zh") == "34.4%的居民低于低值"
    assert [g.severity for g in measured.gaps] == sorted(
        (g.severity for g in measured.gaps), reverse=True
    )


def test_an_outcome_is_more_direct_than_a_measure_a_mention_or_a_shared_tag() -> None:
    concept = concepts_for("elderly_care")
    assert concept is not None
    common = {"measures": [], "text": "", "codes": set()}
    outcome = directness(concept, **{**common, "outcomes": "Served 136,800 elderly residents"})
    measure = directness(
        concept, outcomes="", measures=["Open day care for seniors"], text="", codes=set()
    )
    tags = directness(concept, outcomes="", measures=[], text="", codes={"gz-inclusion"})
    none = directness(concept, outcomes="More buses", measures=[], text="", codes={"ua-energy"})
    assert outcome.level == "outcome" and measure.level == "measure" and tags.level == "tags"
    assert outcome.value > measure.value > tags.value > none.value == 0
    assert "136,800 elderly" in outcome.evidence


def test_partner_profiles_come_from_the_gazetteer(seeded: sessionmaker[Any]) -> None:
    with seeded() as s:
        cities = {c.key: c for c in s.scalars(select(City))}
        partners = {p.city.key for p in s.scalars(select(Partner))}
        assert len(partners) >= 44
        # every programme partner has coordinates, a time zone and a level
        for key in partners:
            c = cities[key]
            assert c.lat is not None and c.timezone and c.level, key
        mannheim = cities["mannheim"]
        assert mannheim.population == 307960 and mannheim.timezone == "Europe/Berlin"
        assert mannheim.provenance["population"].startswith("GeoNames 2873891")
        lazio = cities["lazio"]
        assert lazio.level == "region" and lazio.timezone == "Europe/Rome"
        assert lazio.population is None  # Rome's population is not Lazio's: unknown
        assert "seat: Rome" in lazio.provenance["lat"]


def test_events_carry_their_own_dates(seeded: sessionmaker[Any]) -> None:
    with seeded() as s:
        events = {(e.title[:12], e.date): e for e in s.scalars(select(Event))}
        by_title = {e.title: e for e in events.values()}
    visit = by_title["Mannheim First Vice Mayor visit Chongqing"]
    assert (visit.date, visit.end_date) == (date(2017, 8, 14), date(2017, 8, 17))
    delegation = by_title["Mannheim welcomes Yuxin'ou delegation from Chongqing"]
    assert delegation.date == date(2018, 1, 17)  # not the news item's January 19
    iurc = {e.date: e for e in events.values() if e.source.endswith(tuple("0123456789"))}
    assert date(2022, 4, 29) in iurc and "inferred" in iurc[date(2022, 4, 29)].date_note
    assert date(2022, 3, 4) in iurc and iurc[date(2022, 3, 4)].date_note == ""
    expo = iurc[date(2021, 4, 1)]
    assert expo.end_date == date(2021, 10, 31) and expo.date_note == "months only"
    workshop = iurc[date(2022, 3, 25)]
    assert {"stuttgart-region", "haikou", "zhengzhou", "murcia"} <= set(workshop.participants)
    assert "beijing" not in workshop.participants  # "北京时间" is a time zone, not a city
    assert sum(e.date == date(2022, 11, 8) for e in events.values()) == 1  # two news, one event


def test_matching_on_the_seeds_ranks_by_evidence_and_sets_the_rest_apart(
    seeded: sessionmaker[Any],
) -> None:
    with seeded() as s:
        ranking = cooperation.match_city(s, "guangzhou", programme="iurc-china", limit=50)
        eu = {p.city.key for p in s.scalars(select(Partner).where(Partner.region == "eu"))}
    ranked = [m.candidate for m in ranking.ranked]
    apart = [m.candidate for m in ranking.no_evidence]
    assert ranked and set(ranked) | set(apart) == eu and not set(ranked) & set(apart)
    assert "bari" in apart  # attended none of the recorded events, has no initiative
    for m in ranking.ranked:
        assert m.has_evidence and m.score > 0
        assert m.score == pytest.approx(sum(c.value * c.weight for c in m.components if c.value))
        for c in m.components:
            assert c.evidence, c.name
            if c.value is None:
                assert c.evidence[0].startswith(("unknown", "needs"))
    scores = [m.score for m in ranking.ranked]
    assert scores == sorted(scores, reverse=True)
    top = ranking.ranked[0].components[0]
    assert top.name == "thematic_overlap" and top.value and "event 2022" in top.evidence[0]


def test_recommendations_name_real_gaps_and_prefer_outcomes(
    seeded: sessionmaker[Any], tmp_path: Path
) -> None:
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(SUMMARY), encoding="utf-8")
    with UnitOfWork(seeded) as uow:
        row = cooperation.attach_assessment(uow, None, "nanjing", path)
        assert row.area == "nanjing_xinjiekou.osm.pbf"
    with seeded() as s:
        recs = cooperation.recommend(s, "nanjing", limit=50)
        zh = cooperation.recommend(s, "nanjing", lang="zh", limit=1)
    assert recs
    real = {g.key for g in measured_gaps(SUMMARY).gaps}
    assert {r.gap.key for r in recs} <= real and "health_resilience" not in real
    assert all("nanjing_xinjiekou.osm.pbf" in r.reason for r in recs)
    elderly = [r for r in recs if r.gap.key == "elderly_care"]
    levels = [r.directness.level for r in elderly]
    # outcomes that address the gap first, then measures, text, shared tags (which of the
    # weaker levels the seed cases reach depends on how much the thesaurus recognises)
    order = ["outcome", "measure", "text", "tags"]
    assert "outcome" in levels and len(set(levels)) > 1
    assert [order.index(lv) for lv in levels] == sorted(order.index(lv) for lv in levels)
    assert "评估范围" in zh[0].reason


def _editor_of(
    seeded: sessionmaker[Any], make_user: Callable[..., Principal], name: str, *cities: str
) -> Principal:
    admin = make_user(f"admin-{name}", "knowledge_editor")
    user = make_user(name)
    for key in cities:
        with UnitOfWork(seeded) as uow:
            plans.add_city_editor(uow, admin, key, name)
    return user


def test_pairings_need_both_sides_editors_and_never_pair_a_city_with_itself(
    seeded: sessionmaker[Any], make_user: Callable[..., Principal]
) -> None:
    haikou = _editor_of(seeded, make_user, "haikou-ed", "haikou")
    murcia = _editor_of(seeded, make_user, "murcia-ed", "murcia")
    both = _editor_of(seeded, make_user, "both", "haikou", "murcia")
    with UnitOfWork(seeded) as uow, pytest.raises(InputError, match="itself"):
        plans.propose_pairing(uow, haikou, "haikou", "haikou")
    with UnitOfWork(seeded) as uow, pytest.raises(PermissionDenied):
        plans.propose_pairing(uow, murcia, "haikou", "murcia")  # not Haikou's editor
    with UnitOfWork(seeded) as uow:
        pid = plans.propose_pairing(uow, both, "haikou", "murcia").id
    with UnitOfWork(seeded) as uow, pytest.raises(Conflict, match="same person"):
        plans.confirm_pairing(uow, both, pid, "murcia")
    with UnitOfWork(seeded) as uow, pytest.raises(PermissionDenied):
        plans.confirm_pairing(uow, haikou, pid, "murcia")
    with UnitOfWork(seeded) as uow:
        assert plans.confirm_pairing(uow, murcia, pid, "murcia").status == "confirmed"


def test_action_plans_are_for_programme_members_only(
    seeded: sessionmaker[Any], make_user: Callable[..., Principal]
) -> None:
    haikou = _editor_of(seeded, make_user, "haikou-ed", "haikou")
    murcia = _editor_of(seeded, make_user, "murcia-ed", "murcia")  # an IURC partner too
    nanjing = _editor_of(seeded, make_user, "nanjing-ed", "nanjing")  # in no programme
    data = plans.PlanInput(
        city="haikou",
        title="Wetland city action plan",
        key_projects=["Wetland monitoring"],
        stakeholders=["DRC", "Wetlands institute"],
        decision_mechanism="Monthly DRC meeting",
        contact_role="DRC focal point",
        contact_name="Ms Li",
        contact_email="li@example.org",
        initiative_keys=["gz6-haikou"],
        programme="iurc-china",
        milestones=[
            plans.MilestoneInput("Roadmap agreed", "2025-03-31"),
            plans.MilestoneInput("Study visit", "2025-09-30"),
        ],
    )
    with UnitOfWork(seeded) as uow, pytest.raises(PermissionDenied):
        plans.create_plan(uow, murcia, data)  # not Haikou's editor
    with UnitOfWork(seeded) as uow, pytest.raises(InputError) as err:
        plans.create_plan(
            uow,
            haikou,
            plans.PlanInput(
                city="haikou",
                title="",
                milestones=[plans.MilestoneInput("x", "2025-13-01", "finished")],
            ),
        )
    assert {p.where for p in err.value.problems} == {
        "title",
        "contact_role",
        "milestones[0].due",
        "milestones[0].status",
    }
    with UnitOfWork(seeded) as uow:
        plan = plans.create_plan(uow, haikou, data)
        plan_id, first = plan.id, plan.milestones[0].id
    with UnitOfWork(seeded) as uow:
        assert plans.set_milestone_status(uow, haikou, plan_id, first, "done").done
    with seeded() as s:
        assert plans.get_plan(s, murcia, plan_id).contact_email == "li@example.org"
        for outsider in (None, nanjing):
            with pytest.raises(PermissionDenied):
                plans.get_plan(s, outsider, plan_id)
            assert plans.visible_plans(s, outsider) == []


def test_a_concept_finder_matches_by_concept_before_words() -> None:
    concept = concepts_for("elderly_care")
    assert concept is not None and "health.elderly_care" in concept.thesaurus

    def finder(text: str) -> list[str]:  # what a thesaurus finds: 居家照护 → elderly care
        return ["health.elderly_care"] if "居家照护" in text else []

    plain = directness(concept, outcomes="推广居家照护", measures=[], text="", codes=set())
    found = directness(
        concept, outcomes="推广居家照护", measures=[], text="", codes=set(), find=finder
    )
    assert plain.level == "" and found.level == "outcome"
