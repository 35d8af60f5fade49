"""The array helpers of the stop-place merge: a stop place's name is its members' most
common one (ties to the first seen, as ``Counter.most_common`` does) and its position the
members' ``np.mean``, bit for bit, however many members it has."""

from __future__ import annotations

from collections import Counter

import numpy as np

from rescity.assess.services.stop_places import _first_most_common, _group_means


def test_the_most_common_name_wins_and_ties_go_to_the_first_seen() -> None:
    groups = [["B", "A", "A", "B"], ["C"], ["D", "E", "E"], [], ["F", "G"]]
    names = sorted({n for g in groups for n in g})
    group = np.array([i for i, g in enumerate(groups) for _ in g], dtype=np.int64)
    code = np.array([names.index(n) for g in groups for n in g], dtype=np.int64)
    best = _first_most_common(group, code, len(groups))
    want = [Counter(g).most_common(1)[0][0] if g else None for g in groups]
    assert [names[b] if b >= 0 else None for b in best] == want == ["B", "C", "E", None, "F"]


def test_group_means_equal_numpy_mean_for_short_and_long_groups() -> None:
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 20, 500)
    values = rng.uniform(-180.0, 180.0, int(sizes.sum()))
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    got = _group_means(values, starts, sizes)
    want = [np.mean([float(v) for v in values[s:s + n]])
            for s, n in zip(starts, sizes, strict=True)]
    assert got.tolist() == want
