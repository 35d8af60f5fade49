"""Two-step floating catchment on a case small enough to work out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rescity.assess.domain.catchment import decay_weight, two_step_fca

# Origins o0, o1, o2 with 100, 200, 300 residents; facility f0 supplies 1, f1 supplies 2.
# f0 reaches o0 at 100 m and o1 at 500 m (o2 at 1200 m is outside the 1000 m catchment);
# f1 reaches o1 at 300 m and o2 at 900 m.
ORIGIN = np.array([0, 1, 2, 1, 2])
FACILITY = np.array([0, 0, 0, 1, 1])
DIST = np.array([100.0, 500.0, 1200.0, 300.0, 900.0])
POP = np.array([100.0, 200.0, 300.0])
SUPPLY = np.array([1.0, 2.0])


def test_classic_2sfca_matches_the_hand_computation() -> None:
    res = two_step_fca(ORIGIN, FACILITY, DIST, POP, SUPPLY, 1000.0)
    # Step 1: R0 = 1 / (100 + 200) ; R1 = 2 / (200 + 300)
    assert res.ratio == pytest.approx([1 / 300, 2 / 500])
    assert res.demand == pytest.approx([300.0, 500.0])
    # Step 2: A0 = R0 ; A1 = R0 + R1 = 11/1500 ; A2 = R1
    assert res.access == pytest.approx([1 / 300, 11 / 1500, 1 / 250])
    # Supply is conserved: Σ P_i A_i = Σ S_j over facilities that reach someone.
    assert float((POP * res.access).sum()) == pytest.approx(3.0)


def test_gaussian_decay_weights_near_people_more() -> None:
    w = decay_weight(DIST, 1000.0, "gaussian")
    assert w[0] == pytest.approx(math.exp(-0.005))
    assert w[2] == 0.0
    res = two_step_fca(ORIGIN, FACILITY, DIST, POP, SUPPLY, 1000.0, decay="gaussian")
    d0 = 100 * math.exp(-0.005) + 200 * math.exp(-0.125)
    assert res.ratio[0] == pytest.approx(1 / d0)
    assert float((POP * res.access).sum()) == pytest.approx(3.0)


def test_a_facility_nobody_reaches_and_an_origin_reaching_nothing_score_zero() -> None:
    res = two_step_fca(np.array([0]), np.array([0]), np.array([50.0]),
                       np.array([10.0, 20.0]), np.array([1.0, 5.0]), 1000.0)
    assert res.ratio.tolist() == [0.1, 0.0]
    assert res.access.tolist() == [0.1, 0.0]
