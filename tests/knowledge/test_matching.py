"""Partner matching on a hand-made set whose scores can be worked out by hand."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from rescity.core.errors import Conflict, InputError, PermissionDenied
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.domain.assessment import read_summary, weakest
from rescity.knowledge.domain.matching import (
    WEIGHTS,
    CityFeatures,
    assign,
    context_similarity,
    eligible,
    rank_candidates,
    score_pair,
    weighted_jaccard,
)
from rescity.knowledge.services import cooperation


def city(key: str, region: str, tags: dict[str, int] | None = None, **kw: Any) -> CityFeatures:
    return CityFeatures(key=key, name=key.title(), region=region, tags=Counter(tags or {}), **kw)


def test_weighted_jaccard_by_hand() -> None:
    assert weighted_jaccard(Counter(a=2, b=1), Counter(a=1, c=1)) == pytest.approx(1 / 4)
    assert weighted_jaccard(Counter(), Counter()) == 0.0


def test_context_similarity_is_one_over_one_plus_rms_of_log10_gaps() -> None:
    a = city("a", "cn", population=1_000_000, density=1000, gdp_per_capita=10_000)
    b = city("b", "eu", population=10_000_000, density=1000, gdp_per_capita=10_000)
    sim, note = context_similarity(a, b)
    # gaps 1, 0, 0 decades → rms = sqrt(1/3)
    assert sim == pytest.approx(1 / (1 + (1 / 3) ** 0.5))
    assert "population 1.0M vs 10.0M" in note
    assert context_similarity(a, city("c", "eu")) == (None, "")


def test_score_is_the_weighted_mean_of_the_available_components() -> None:
    a = city(
        "a",
        "cn",
        {"ua-mobility": 1, "sdg11": 1},
        clusters={"iuc-mobility"},
        weak_themes={"ua-housing", "ua-air"},
        weak_indices=["life_service"],
    )
    b = city(
        "b",
        "eu",
        {"ua-mobility": 1, "ua-housing": 1, "sdg11": 1, "sdg3": 1},
        clusters={"iuc-mobility", "iuc-smart"},
    )
    m = score_pair(a, b, text_sim=0.5)
    parts = {c.name: c.score for c in m.components}
    assert parts == pytest.approx(
        {
            "themes": 1 / 2,  # {mobility} / {mobility, housing}
            "sdgs": 1 / 2,  # {11} / {11, 3}
            "clusters": 1 / 2,  # {mobility} / {mobility, smart}
            "complementarity": 1 / 2,  # b covers housing, not air; b has no weak areas
            "text": 0.5,
        }
    )
    weights = sum(WEIGHTS[k] for k in parts)  # no context: population etc. unknown
    assert m.score == pytest.approx(sum(WEIGHTS[k] * v for k, v in parts.items()) / weights)
    assert any("B has initiatives on A's weak life_service" in r for r in m.reasons)
    assert any(r.startswith("shared themes: Urban mobility") for r in m.reasons)


def test_hard_filters_other_region_and_not_already_paired() -> None:
    a = city("a", "cn", paired_with={"c"})
    assert not eligible(a, city("b", "cn"))
    assert not eligible(a, city("c", "eu"))
    assert not eligible(a, a)
    assert eligible(a, city("d", "eu"))
    ranked = rank_candidates(a, [city("b", "cn"), city("c", "eu"), city("d", "eu", {"sdg1": 1})])
    assert [m.candidate for m in ranked] == ["d"]


def test_candidates_are_ranked_by_score_with_reasons() -> None:
    a = city(
        "a",
        "cn",
        {"ua-mobility": 2, "sdg11": 2},
        population=3e6,
        density=300,
        gdp_per_capita=9000,
        tokens=["school", "walking", "traffic"],
    )
    close = city(
        "close",
        "eu",
        {"ua-mobility": 2, "sdg11": 1},
        population=2.5e6,
        density=350,
        gdp_per_capita=11000,
        tokens=["walking", "traffic", "tram"],
    )
    far = city(
        "far",
        "eu",
        {"ua-energy": 1},
        population=2e5,
        density=3000,
        gdp_per_capita=60000,
        tokens=["solar", "energy"],
    )
    ranked = rank_candidates(a, [far, close])
    assert [m.candidate for m in ranked] == ["close", "far"]
    assert ranked[0].score > 0.5 > ranked[1].score
    assert ranked[0].reasons[0].startswith("shared themes")


def test_optimal_assignment_beats_greedy() -> None:
    # greedy would give x→p (0.9) and leave y with q (0.1); optimal is x→q, y→p.
    x = city("x", "cn", {"ua-mobility": 1, "ua-housing": 1})
    y = city("y", "cn", {"ua-mobility": 1})
    p = city("p", "eu", {"ua-mobility": 1})
    q = city("q", "eu", {"ua-housing": 1, "ua-mobility": 1})
    result = {(m.city, m.candidate) for m in assign([x, y], [p, q])}
    assert result == {("x", "q"), ("y", "p")}
    # an already paired couple is never assigned
    y.paired_with.add("p")
    assert ("y", "p") not in {(m.city, m.candidate) for m in assign([x, y], [p, q])}


def test_the_assess_summary_reader_is_tolerant() -> None:
    s = read_summary(
        {
            "city": "Xianning",
            "indices": {
                "Life-service index": {"median": 0.41, "low_share": 0.3},
                "transport_resilience": 1.02,
                "environment": {"p50": 0.7},
                "mystery": 3,
                "disaster_prevention": "n/a",
            },
        }
    )
    assert s.medians == {"life_service": 0.41, "transport": 1.02, "environment": 0.7}
    assert s.low_shares == {"life_service": 0.3}
    assert sorted(s.ignored) == ["disaster_prevention", "mystery"]
    assert read_summary([{"index": "transport", "median": 1.5}]).medians == {"transport": 1.5}
    with pytest.raises(ValueError, match="no index medians"):
        read_summary({"foo": 1})
    # weakest relative to the reference medians, else by raw value
    assert weakest(
        {"transport": 1.0, "life_service": 0.5}, {"transport": 1.7, "life_service": 0.4}
    ) == ["transport", "life_service"]
    assert weakest({"transport": 1.0, "life_service": 0.5}, {}, k=1) == ["life_service"]


def test_matching_recommendations_and_pairings_on_the_seeds(
    seeded: sessionmaker[Any],
    tmp_path: Path,
    make_user: Callable[..., Principal],
) -> None:
    summary = tmp_path / "summary.json"
    summary.write_text(
        json.dumps(
            {
                "city": "Zhengzhou",
                "indices": {
                    "life_service": {"median": 0.62},
                    "disaster_prevention": {"median": 0.21},
                    "transport": {"median": 1.05},
                    "environment": {"median": 0.33},
                },
            }
        )
    )
    with UnitOfWork(seeded) as uow:
        cooperation.attach_assessment(uow, None, "haikou", summary)
    with seeded() as s:
        recs = cooperation.recommend(s, "haikou")
        assert recs, "weak disaster prevention and environment have initiatives elsewhere"
        assert {r.index for r in recs} <= {"disaster_prevention", "environment"}
        assert recs[0].initiative.key in {"gz6-fuzhou", "gz6-bijie"}
        assert "weakest" in recs[0].reason
        assert all(r.initiative.city.key != "haikou" for r in recs)
        ranked = cooperation.match_city(s, "zhengzhou", programme="iurc-china")
        assert "lazio" not in {m.candidate for m in ranked}  # already paired
        assert {m.candidate for m in ranked} <= {
            p.city.key
            for p in s.scalars(
                cooperation.select(cooperation.Partner).where(cooperation.Partner.region == "eu")
            )
        }
        assert ranked and all(m.score >= 0 for m in ranked)
        plan = cooperation.assign_programme(s, "iurc-china")
        cn, eu = [m.city for m in plan], [m.candidate for m in plan]
        assert len(set(cn)) == len(set(eu)) == 22  # one-to-one over 22 + 22
        assert ("zhengzhou", "lazio") not in {(m.city, m.candidate) for m in plan}
    editor = make_user("editor", "knowledge_editor")
    plain = make_user("plain")
    with UnitOfWork(seeded) as uow, pytest.raises(PermissionDenied):
        cooperation.propose_pairing(uow, plain, "haikou", "murcia")
    with UnitOfWork(seeded) as uow:
        pairing_id = cooperation.propose_pairing(uow, editor, "haikou", "murcia").id
    with seeded() as s:
        assert s.get(cooperation.Pairing, pairing_id).status == "proposed"
    with UnitOfWork(seeded) as uow, pytest.raises(Conflict):
        cooperation.propose_pairing(uow, editor, "murcia", "haikou")
    with UnitOfWork(seeded) as uow, pytest.raises(InputError):
        cooperation.confirm_pairing(uow, editor, pairing_id, "bari")
    with UnitOfWork(seeded) as uow:
        assert cooperation.confirm_pairing(uow, editor, pairing_id, "murcia").status == "confirmed"
    with UnitOfWork(seeded) as uow, pytest.raises(InputError) as err:
        cooperation.create_action_plan(
            uow,
            editor,
            "haikou",
            "",
            contact_role="",
            actions=(
                cooperation.ActionInput("Bird walk", quarter="2025-3", initiative_keys=("nope",)),
            ),
        )
    assert {p.where for p in err.value.problems} == {
        "title",
        "contact_role",
        "actions[0].quarter",
        "actions[0].initiatives",
    }
    with UnitOfWork(seeded) as uow:
        plan = cooperation.create_action_plan(
            uow,
            editor,
            "haikou",
            "Wetland city action plan",
            contact_role="DRC focal point",
            actions=(
                cooperation.ActionInput(
                    "Study visit to Bijie",
                    owner="Wetland office",
                    quarter="2025Q2",
                    initiative_keys=("gz6-bijie",),
                ),
            ),
            milestones=(("Roadmap agreed", "2025Q1"),),
        )
        assert [a.initiative_keys for a in plan.actions] == [["gz6-bijie"]]
