"""Matching kernel: hard filters and the weighted score on hand-made cases, and the
vectorised ranking against a plain-Python reference on random cases."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from rescity.community.help import matching as hm
from rescity.community.help.domain import (
    availability_hours,
    help_rules,
)
from rescity.core.errors import InputError

RULES = help_rules()
W = RULES.weights
KM_LAT = 1 / hm.KM_PER_DEG_LAT  # degrees of latitude in one km
ALL_WEEK = hm.hour_bits(list(range(168)))
LANG = {name: 1 << i for i, name in enumerate(RULES.languages)}
SKILL = {name: 1 << i for i, name in enumerate(RULES.skills)}


def requests(n: int = 1, **cols: Any) -> hm.Requests:
    base: dict[str, Any] = {
        "kind": np.full(n, RULES.kinds.index("groceries")), "lat": np.full(n, 31.0),
        "lon": np.full(n, 121.0), "area": np.full(n, 0), "lang_mask": np.full(n, LANG["zh"]),
        "first_lang": np.full(n, 0), "needs_vetting": np.zeros(n, dtype=bool),
        "window": np.zeros((n, 3), dtype=np.uint64),
    }
    base |= {k: np.asarray(v) for k, v in cols.items()}
    return hm.Requests(**base)


def volunteers(n: int = 1, **cols: Any) -> hm.Volunteers:
    base: dict[str, Any] = {
        "lat": np.full(n, 31.0 + KM_LAT), "lon": np.full(n, 121.0), "radius_km": np.full(n, 2.0),
        "areas": np.zeros((n, 1), dtype=bool), "lang_mask": np.full(n, LANG["zh"]),
        "skill_mask": np.full(n, SKILL["shopping"]), "vetted": np.ones(n, dtype=bool),
        "load": np.full(n, 1), "capacity": np.full(n, 2), "delivered": np.full(n, 3),
        "failed": np.full(n, 1), "availability": np.tile(ALL_WEEK, (n, 1)),
    }
    base |= {k: np.asarray(v) for k, v in cols.items()}
    return hm.Volunteers(**base)


def best(r: hm.Requests, v: hm.Volunteers) -> tuple[int, float]:
    idx, score = hm.rank(r, v, RULES.kind_skills, W, k=3)
    return int(idx[0, 0]), float(score[0, 0])


def test_the_score_is_the_documented_weighted_sum() -> None:
    # 1 km away within a 2 km radius: 1 − 0.5; speaks the first language: 1; groceries prefer
    # no skill: 1; one of two places taken: 0.5; reliability (3 + 1) / (3 + 1 + 2) = 2/3.
    expected = W.distance * 0.5 + W.language * 1 + W.skill * 1 + W.load * 0.5 + \
        W.reliability * (4 / 6)
    assert best(requests(), volunteers()) == (0, pytest.approx(expected, abs=1e-4))
    assert expected == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("r_cols", "v_cols", "matched"),
    [
        ({}, {}, True),
        ({}, {"skill_mask": [SKILL["driving"]]}, False),                  # kind needs shopping
        ({"kind": [RULES.kinds.index("transport")]}, {"skill_mask": [SKILL["driving"]]}, True),
        ({}, {"lat": [31.0 + 3 * KM_LAT]}, False),                         # 3 km > 2 km radius
        ({}, {"lat": [31.0 + 3 * KM_LAT], "areas": [[True]]}, True),       # … but serves the area
        ({}, {"lat": [math.nan], "lon": [math.nan]}, False),               # place unknown
        ({}, {"lat": [math.nan], "lon": [math.nan], "areas": [[True]]}, True),
        ({"lang_mask": [LANG["en"]], "first_lang": [1]}, {}, False),       # no common language
        ({"lang_mask": [LANG["en"] | LANG["zh"]], "first_lang": [1]}, {}, True),
        ({"lang_mask": [0], "first_lang": [-1]}, {"lang_mask": [LANG["ar"]]}, True),  # any
        ({"needs_vetting": [True]}, {"vetted": [False]}, False),           # vulnerable
        ({"needs_vetting": [False]}, {"vetted": [False]}, True),
        ({}, {"load": [2]}, False),                                        # no free capacity
        ({"window": [hm.hour_bits([10])]}, {"availability": [hm.hour_bits([9, 11])]}, False),
        ({"window": [hm.hour_bits([10, 11])]}, {"availability": [hm.hour_bits([11])]}, True),
        ({"window": [hm.hour_bits([100])]}, {"availability": [hm.hour_bits([100])]}, True),
    ],
)
def test_hard_filters(r_cols: dict[str, Any], v_cols: dict[str, Any], matched: bool) -> None:
    idx, _ = best(requests(**r_cols), volunteers(**v_cols))
    assert (idx == 0) is matched


def test_each_term_moves_the_ranking_the_documented_way() -> None:
    v = volunteers(
        5,
        lat=[31.0 + KM_LAT, 31.0 + 0.2 * KM_LAT, 31.0 + KM_LAT, 31.0 + KM_LAT, 31.0 + KM_LAT],
        lang_mask=[LANG["zh"], LANG["zh"], LANG["zh"], LANG["zh"], LANG["zh"] | LANG["en"]],
        load=[1, 1, 0, 1, 1], delivered=[3, 3, 3, 30, 3],
    )
    r = requests(lang_mask=[LANG["en"] | LANG["zh"]], first_lang=[1])  # prefers English
    idx, score = hm.rank(r, v, RULES.kind_skills, W, k=5)
    # closer (+0.28), English speaker (+0.10), free (+0.075), reliable (+0.05) beat the base
    assert list(idx[0]) == [1, 4, 2, 3, 0]
    assert score[0, 0] > score[0, 1] > score[0, 2] > score[0, 3] > score[0, 4]


def test_preferred_skills_count_as_a_share() -> None:
    medicine = RULES.kinds.index("medicine")  # requires shopping, prefers pharmacy + medical
    v = volunteers(3, skill_mask=[SKILL["shopping"], SKILL["shopping"] | SKILL["pharmacy"],
                                  SKILL["shopping"] | SKILL["pharmacy"] | SKILL["medical"]])
    idx, score = hm.rank(requests(kind=[medicine]), v, RULES.kind_skills, W, k=3)
    assert list(idx[0]) == [2, 1, 0]
    assert score[0, 0] - score[0, 1] == pytest.approx(W.skill * 0.5, abs=1e-5)


def test_assignment_respects_capacity_urgency_order_pairs_and_exclusions() -> None:
    idx = np.array([[0, 1, -1], [0, 1, -1], [0, 1, 2], [1, -1, -1]], dtype=np.int32)
    score = np.where(idx >= 0, 0.5, -np.inf).astype(np.float32)
    made = hm.assign(idx, score, order=[2, 0, 1, 3], needed=[1, 1, 2, 1], room=[1, 1, 1],
                     excluded={(1, 1)})
    # request 2 (first in order) takes a pair (0, 1); 0 finds nobody; 1 excluded 1; 3 too
    assert [(a.request, a.volunteers) for a in made] == [(2, (0, 1))]
    made = hm.assign(idx, score, order=[0, 1, 3], needed=[1, 1, 1, 1], room=[1, 1, 1])
    assert [(a.request, a.volunteers) for a in made] == [(0, (0,)), (1, (1,))]


def reference_scores(r: hm.Requests, v: hm.Volunteers) -> np.ndarray[Any, Any]:
    """The same rules written pair by pair, for comparison."""
    out = np.full((len(r), len(v)), -np.inf)
    req_sk, pref_sk = RULES.kind_skills.required, RULES.kind_skills.preferred
    for i in range(len(r)):
        for j in range(len(v)):
            kind = r.kind[i]
            if v.skill_mask[j] & req_sk[kind] != req_sk[kind] or v.load[j] >= v.capacity[j]:
                continue
            if r.needs_vetting[i] and not v.vetted[j]:
                continue
            if r.lang_mask[i] and not (r.lang_mask[i] & v.lang_mask[j]):
                continue
            if r.window[i].any() and not (r.window[i] & v.availability[j]).any():
                continue
            d = math.hypot((r.lat[i] - v.lat[j]) * hm.KM_PER_DEG_LAT,
                           (r.lon[i] - v.lon[j]) * hm.KM_PER_DEG_LON_EQUATOR
                           * math.cos(math.radians(r.lat[i])))
            if not (d <= v.radius_km[j] or (r.area[i] >= 0 and v.areas[j, r.area[i]])):
                continue
            n_pref = bin(int(pref_sk[kind])).count("1")
            fit = bin(int(v.skill_mask[j] & pref_sk[kind])).count("1") / n_pref if n_pref else 1
            lang = 1.0 if r.first_lang[i] < 0 or (v.lang_mask[j] >> r.first_lang[i]) & 1 else 0.5
            out[i, j] = (W.distance * max(0.0, 1 - d / v.radius_km[j]) + W.language * lang
                         + W.skill * fit + W.load * (1 - v.load[j] / v.capacity[j])
                         + W.reliability * (v.delivered[j] + 1)
                         / (v.delivered[j] + v.failed[j] + 2))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_vectorised_ranking_agrees_with_the_pair_by_pair_rules(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_r, n_v, n_a = 60, 40, 4
    r = hm.Requests(
        kind=rng.integers(0, len(RULES.kinds), n_r), lat=31 + rng.uniform(0, 0.05, n_r),
        lon=121 + rng.uniform(0, 0.05, n_r), area=rng.integers(-1, n_a, n_r),
        lang_mask=rng.integers(0, 4, n_r).astype(np.int64), first_lang=rng.integers(-1, 2, n_r),
        needs_vetting=rng.random(n_r) < 0.4,
        window=np.stack([hm.hour_bits(list(rng.choice(168, 3))) if rng.random() < 0.5
                         else np.zeros(3, dtype=np.uint64) for _ in range(n_r)]),
    )
    v = hm.Volunteers(
        lat=31 + rng.uniform(0, 0.05, n_v), lon=121 + rng.uniform(0, 0.05, n_v),
        radius_km=rng.uniform(0.5, 4, n_v), areas=rng.random((n_v, n_a)) < 0.3,
        lang_mask=rng.integers(1, 8, n_v).astype(np.int64),
        skill_mask=rng.integers(0, 64, n_v).astype(np.int64), vetted=rng.random(n_v) < 0.6,
        load=rng.integers(0, 3, n_v), capacity=rng.integers(1, 4, n_v),
        delivered=rng.integers(0, 10, n_v), failed=rng.integers(0, 3, n_v),
        availability=np.stack([hm.hour_bits(list(rng.choice(168, 60))) for _ in range(n_v)]),
    )
    ref = reference_scores(r, v)
    idx, score = hm.rank(r, v, RULES.kind_skills, W, k=5, block=16)
    for i in range(n_r):
        feasible = np.flatnonzero(np.isfinite(ref[i]))
        expect = sorted(ref[i, feasible], reverse=True)[:5]
        got = [s for s in score[i] if np.isfinite(s)]
        assert got == pytest.approx(expect, abs=1e-4)
        for j, s in zip(idx[i], score[i], strict=True):
            if j >= 0:
                assert ref[i, j] == pytest.approx(s, abs=1e-4)


def test_empty_inputs_give_empty_rankings() -> None:
    idx, _ = hm.rank(requests(0), volunteers(), RULES.kind_skills, W)
    assert idx.shape == (0, 1)
    idx, _ = hm.rank(requests(), volunteers(0), RULES.kind_skills, W)
    assert list(idx[0]) == [-1]


def test_the_older_whole_hour_availability_is_still_checked() -> None:
    # (shift slots and windows are in test_shifts.py)
    assert availability_hours({"mon": [[9, 11]], "sun": [[23, 24]]}) == [9, 10, 167]
    with pytest.raises(InputError):
        availability_hours({"someday": [[1, 2]], "mon": [[5, 3]]})
