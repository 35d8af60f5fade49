"""Partner matching: components worked out by hand, the unknown-vs-zero rule, assignment."""

from __future__ import annotations

from typing import Any

import pytest

from rescity.knowledge.domain.assessment import read_summary, weakest
from rescity.knowledge.domain.matching import (
    WEIGHTS,
    CityFeatures,
    NoInformation,
    assign,
    eligible,
    rank_candidates,
    score_pair,
)


def city(key: str, region: str, **kw: Any) -> CityFeatures:
    return CityFeatures(key=key, name=key.title(), region=region, **kw)


def test_the_score_is_the_sum_of_the_known_components_worked_out_by_hand() -> None:
    a = city(
        "a",
        "cn",
        themes={"ua-mobility": ["initiative a1"], "ua-housing": ["initiative a2"]},
        cooperation={"event:x": "2022-03-04 workshop"},
        gaps={"elderly_care": 1.0, "environment": 0.5, "transport": 0.1},
        population=1_000_000,
        lat=30.0,
        has_initiatives=True,
        addresses={"environment": ["a3"]},
    )
    b = city(
        "b",
        "eu",
        themes={"ua-mobility": ["event 2022-03-04"], "ua-energy": ["event 2022-03-04"]},
        cooperation={"event:x": "2022-03-04 workshop", "event:y": "2022-04-29 workshop"},
        gaps={"elderly_care": 0.8, "transport": 0.6},
        population=100_000,
        lat=-45.0,
        has_initiatives=True,
        addresses={"elderly_care": ["b1"], "transport": ["b2"]},
    )
    m = score_pair(a, b)
    values = {c.name: c.value for c in m.components}
    assert values == pytest.approx(
        {
            "thematic_overlap": 1 / 3,  # {mobility} / {mobility, housing, energy}
            # a's weak {elderly, environment}: b covers elderly → 1/2;
            # b's weak {elderly, transport}: a covers neither → 0; mean 1/4
            "complementary_strengths": 1 / 4,
            "shared_weaknesses": 1 / 3,  # {elderly} / {elderly, environment, transport}
            "existing_cooperation": 1 / 2,  # {x} / {x, y}
            "similar_size": 1 / 2,  # one decade apart: 1 / (1 + 1)
            "similar_latitude": 1 - 15 / 30,  # |30| vs |-45|: 15 degrees of 30
        }
    )
    assert m.score == pytest.approx(sum(WEIGHTS[k] * v for k, v in values.items()))
    assert m.known_weight == pytest.approx(1.0)
    assert any("Mobility" in e or "mobility" in e for e in m.components[0].evidence)


@pytest.mark.parametrize(
    ("b_kwargs", "component", "expected"),
    [
        ({}, "thematic_overlap", None),  # no themes recorded: unknown
        ({"themes": {"ua-energy": ["event"]}}, "thematic_overlap", 0.0),  # recorded, none shared
        ({}, "shared_weaknesses", None),  # not assessed: unknown
        ({"gaps": {}}, "shared_weaknesses", 0.0),  # assessed, a has weaknesses, b none
        ({}, "similar_size", None),
        ({"population": 2_000_000.0}, "similar_size", 1.0),
        ({}, "existing_cooperation", None),
        ({"cooperation": {"event:z": "z"}}, "existing_cooperation", 0.0),
    ],
)
def test_unknown_is_never_read_as_zero(
    b_kwargs: dict[str, Any], component: str, expected: float | None
) -> None:
    a = city(
        "a",
        "cn",
        themes={"ua-mobility": ["x"]},
        gaps={"elderly_care": 1.0},
        population=2_000_000.0,
        cooperation={"event:x": "x"},
    )
    value = {c.name: c.value for c in score_pair(a, city("b", "eu", **b_kwargs)).components}
    assert value[component] == expected


def test_a_candidate_without_evidence_is_listed_apart_never_ranked() -> None:
    a = city("a", "cn", themes={"ua-mobility": ["x"]}, population=1e6, lat=30.0)
    some = city("some", "eu", themes={"ua-energy": ["e"]}, population=1e6, lat=40.0)
    # same size and latitude, but nothing substantive: no evidence, even with a higher score
    none = city("none", "eu", population=1e6, lat=30.0)
    ranking = rank_candidates(a, [none, some])
    assert [m.candidate for m in ranking.ranked] == ["some"]
    assert [m.candidate for m in ranking.no_evidence] == ["none"]
    assert ranking.no_evidence[0].score > ranking.ranked[0].score


def test_hard_filters_other_region_and_not_already_paired() -> None:
    a = city("a", "cn", paired_with={"c"})
    assert not eligible(a, city("b", "cn"))
    assert not eligible(a, city("c", "eu"))
    assert not eligible(a, a)
    assert eligible(a, city("d", "eu"))


def test_optimal_assignment_beats_greedy_and_refuses_without_information() -> None:
    # the optimum pairs the cities that share every theme: x→q (1) and y→p (1)
    x = city("x", "cn", themes={"ua-mobility": ["i"], "ua-housing": ["i"]})
    y = city("y", "cn", themes={"ua-mobility": ["i"]})
    p = city("p", "eu", themes={"ua-mobility": ["e"]})
    q = city("q", "eu", themes={"ua-housing": ["e"], "ua-mobility": ["e"]})
    result = {(m.city, m.candidate) for m in assign([x, y], [p, q])}
    assert result == {("x", "q"), ("y", "p")}
    y.paired_with.add("p")
    assert ("y", "p") not in {(m.city, m.candidate) for m in assign([x, y], [p, q])}
    blank = [city("m", "cn"), city("n", "cn")], [city("o", "eu"), city("r", "eu")]
    with pytest.raises(NoInformation, match="no pair"):
        assign(*blank)
    same = (
        [city("m", "cn", themes={"ua-mobility": ["i"]})],
        [
            city("o", "eu", themes={"ua-mobility": ["e"]}),
            city("r", "eu", themes={"ua-mobility": ["e"]}),
        ],
    )
    with pytest.raises(NoInformation, match="no information"):
        assign(*same)


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
