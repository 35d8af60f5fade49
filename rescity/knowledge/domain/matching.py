"""Partner-city matching: a score that is a sum of named, evidenced components.

See docs/knowledge/matching.md. Each component is a value in [0, 1] times its weight, or
*unknown* (``None``) when one of the two cities has no data for it: unknown is never
counted as 0, it adds nothing and is shown as unknown. A candidate whose substantive
components (themes, shared weaknesses, complementary strengths, existing cooperation) are
all unknown has **no evidence**: it is listed apart, never ranked. Similar size and latitude
alone do not make a partner. Everything here is pure; the service builds the features.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

WEIGHTS: dict[str, float] = {
    "thematic_overlap": 0.30,
    "complementary_strengths": 0.20,
    "shared_weaknesses": 0.15,
    "existing_cooperation": 0.15,
    "similar_size": 0.10,
    "similar_latitude": 0.10,
}
SUBSTANTIVE = (
    "thematic_overlap",
    "complementary_strengths",
    "shared_weaknesses",
    "existing_cooperation",
)
LATITUDE_SPAN = 30.0  # degrees of |latitude| difference at which the similarity reaches 0
WEAK = 0.2  # a measured gap counts as a weakness from this severity (share of residents)


@dataclass
class CityFeatures:
    key: str
    name: str
    region: str  # "cn" / "eu"
    themes: dict[str, list[str]] = field(default_factory=dict)  # code → where it comes from
    theme_labels: dict[str, str] = field(default_factory=dict)
    cooperation: dict[str, str] = field(default_factory=dict)  # event/cluster key → label
    gaps: dict[str, float] | None = None  # measured gap → severity; None = not assessed
    gap_labels: dict[str, str] = field(default_factory=dict)
    addresses: dict[str, list[str]] = field(default_factory=dict)  # gap → initiatives on it
    has_initiatives: bool = False
    population: float | None = None
    population_source: str = ""
    lat: float | None = None
    paired_with: set[str] = field(default_factory=set)


@dataclass
class Component:
    name: str
    value: float | None  # None: unknown
    weight: float
    evidence: list[str] = field(default_factory=list)

    @property
    def contribution(self) -> float | None:
        return None if self.value is None else self.value * self.weight


@dataclass
class Match:
    city: str
    candidate: str
    components: list[Component]

    @property
    def score(self) -> float:
        """Sum of the known components' contributions; unknown adds nothing."""
        return sum(c.contribution or 0.0 for c in self.components)

    @property
    def known_weight(self) -> float:
        """Share of the total weight backed by data (how informed the score is)."""
        return sum(c.weight for c in self.components if c.value is not None)

    @property
    def has_evidence(self) -> bool:
        return any(c.value is not None for c in self.components if c.name in SUBSTANTIVE)

    @property
    def reasons(self) -> list[str]:
        ranked = sorted(self.components, key=lambda c: -(c.contribution or 0.0))
        return [f"{c.name}: " + "; ".join(c.evidence) for c in ranked if c.value and c.evidence]

    def as_dict(self) -> dict[str, object]:
        return {
            "candidate": self.candidate,
            "score": round(self.score, 4),
            "known_weight": round(self.known_weight, 4),
            "components": [
                {
                    "name": c.name,
                    "weight": c.weight,
                    "value": None if c.value is None else round(c.value, 4),
                    "contribution": None if c.value is None else round(c.value * c.weight, 4),
                    "status": "unknown" if c.value is None else "known",
                    "evidence": c.evidence,
                }
                for c in self.components
            ],
        }


def _label_list(keys: Sequence[str], labels: dict[str, str], limit: int = 5) -> str:
    return ", ".join(labels.get(k, k) for k in list(keys)[:limit])


def thematic_overlap(a: CityFeatures, b: CityFeatures, w: float) -> Component:
    if not a.themes or not b.themes:
        return Component("thematic_overlap", None, w, [_missing(a, b, "themes")])
    shared = sorted(set(a.themes) & set(b.themes))
    value = len(shared) / len(set(a.themes) | set(b.themes))
    labels = {**a.theme_labels, **b.theme_labels}
    evidence = [
        f"{labels.get(code, code)} ({a.name}: {a.themes[code][0]}; {b.name}: {b.themes[code][0]})"
        for code in shared[:4]
    ] or [f"no shared theme among {len(a.themes)} and {len(b.themes)} themes"]
    return Component("thematic_overlap", value, w, evidence)


def existing_cooperation(a: CityFeatures, b: CityFeatures, w: float) -> Component:
    if not a.cooperation or not b.cooperation:
        return Component("existing_cooperation", None, w, [_missing(a, b, "events or clusters")])
    shared = sorted(set(a.cooperation) & set(b.cooperation))
    value = len(shared) / len(set(a.cooperation) | set(b.cooperation))
    evidence = [f"both in: {a.cooperation[k]}" for k in shared[:4]] or [
        "no event or cluster in common"
    ]
    return Component("existing_cooperation", value, w, evidence)


def _weak(city: CityFeatures) -> set[str]:
    return {k for k, s in (city.gaps or {}).items() if s >= WEAK}


def shared_weaknesses(a: CityFeatures, b: CityFeatures, w: float) -> Component:
    if a.gaps is None or b.gaps is None:
        return Component("shared_weaknesses", None, w, [_missing(a, b, "an assessment")])
    wa, wb = _weak(a), _weak(b)
    union = wa | wb
    if not union:
        return Component("shared_weaknesses", 0.0, w, ["neither has a measured weakness"])
    shared = sorted(wa & wb)
    labels = {**a.gap_labels, **b.gap_labels}
    evidence = [
        f"{labels.get(g, g)}: {a.gaps[g]:.0%} vs {b.gaps[g]:.0%} of residents" for g in shared
    ] or ["no measured weakness in common"]
    return Component("shared_weaknesses", len(shared) / len(union), w, evidence)


def complementary_strengths(a: CityFeatures, b: CityFeatures, w: float) -> Component:
    """How much of each side's measured weaknesses the other's initiatives address."""
    values: list[float] = []
    evidence: list[str] = []
    for weak, strong in ((a, b), (b, a)):
        gaps = _weak(weak)
        if weak.gaps is None or not strong.has_initiatives or not gaps:
            continue
        covered = sorted(g for g in gaps if strong.addresses.get(g))
        values.append(len(covered) / len(gaps))
        for g in covered[:3]:
            evidence.append(
                f"{strong.name} on {weak.name}'s {weak.gap_labels.get(g, g)}: "
                + ", ".join(strong.addresses[g][:2])
            )
    if not values:
        return Component(
            "complementary_strengths",
            None,
            w,
            ["needs a measured weakness on one side and initiatives on the other"],
        )
    return Component(
        "complementary_strengths",
        sum(values) / len(values),
        w,
        evidence or ["no initiative of one addresses a measured weakness of the other"],
    )


def similar_size(a: CityFeatures, b: CityFeatures, w: float) -> Component:
    if not a.population or not b.population:
        return Component("similar_size", None, w, [_missing(a, b, "a population")])
    gap = abs(math.log10(a.population) - math.log10(b.population))
    return Component(
        "similar_size",
        1.0 / (1.0 + gap),
        w,
        [
            f"population {_short(a.population)} vs {_short(b.population)} "
            f"({a.population_source or '?'}; {b.population_source or '?'})"
        ],
    )


def similar_latitude(a: CityFeatures, b: CityFeatures, w: float) -> Component:
    if a.lat is None or b.lat is None:
        return Component("similar_latitude", None, w, [_missing(a, b, "coordinates")])
    diff = abs(abs(a.lat) - abs(b.lat))
    return Component(
        "similar_latitude",
        max(0.0, 1.0 - diff / LATITUDE_SPAN),
        w,
        [f"latitude {abs(a.lat):.1f}° vs {abs(b.lat):.1f}° (a climate proxy)"],
    )


def _missing(a: CityFeatures, b: CityFeatures, what: str) -> str:
    return f"unknown: {what} not recorded for {a.name}" + (f" / {b.name}" if a.key != b.key else "")


def _short(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    if x >= 1e4:
        return f"{x / 1e3:.0f}k"
    return f"{x:,.0f}"


COMPONENTS = (
    thematic_overlap,
    complementary_strengths,
    shared_weaknesses,
    existing_cooperation,
    similar_size,
    similar_latitude,
)


def score_pair(
    a: CityFeatures, b: CityFeatures, *, weights: dict[str, float] | None = None
) -> Match:
    w = weights or WEIGHTS
    return Match(a.key, b.key, [fn(a, b, w[fn.__name__]) for fn in COMPONENTS])


def eligible(a: CityFeatures, b: CityFeatures) -> bool:
    """Hard filters: another city, in the other region, not already paired with ``a``."""
    return (
        a.key != b.key
        and bool(a.region)
        and bool(b.region)
        and a.region != b.region
        and b.key not in a.paired_with
        and a.key not in b.paired_with
    )


@dataclass
class Ranking:
    ranked: list[Match]
    no_evidence: list[Match]


def rank_candidates(
    city: CityFeatures, others: Sequence[CityFeatures], *, limit: int = 10
) -> Ranking:
    """Eligible partners with evidence, best first; those without evidence apart."""
    matches = [score_pair(city, other) for other in others if eligible(city, other)]
    ranked = sorted(
        (m for m in matches if m.has_evidence),
        key=lambda m: (-m.score, -m.known_weight, m.candidate),
    )
    apart = sorted((m for m in matches if not m.has_evidence), key=lambda m: m.candidate)
    return Ranking(ranked[:limit], apart)


class NoInformation(ValueError):
    """The scores cannot tell one assignment from another."""


def assign(left: Sequence[CityFeatures], right: Sequence[CityFeatures]) -> list[Match]:
    """Optimal one-to-one pairing maximising the summed score (Hungarian algorithm).

    Only eligible pairs with evidence can be chosen. Raises :class:`NoInformation` when no
    pair has evidence or every pair with evidence scores the same: any "optimum" would
    then be an arbitrary order, not a recommendation.
    """
    forbidden = -1e6
    scores = np.full((len(left), len(right)), forbidden)
    matches: dict[tuple[int, int], Match] = {}
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            if eligible(a, b):
                m = score_pair(a, b)
                if m.has_evidence:
                    scores[i, j] = m.score
                    matches[(i, j)] = m
    if not matches:
        raise NoInformation("no pair of cities has any evidence (themes, gaps, cooperation)")
    values = [m.score for m in matches.values()]
    if max(values) - min(values) < 1e-9:
        raise NoInformation(
            f"all {len(values)} pairs with evidence score {values[0]:.3f}: no information"
        )
    rows, cols = linear_sum_assignment(scores, maximize=True)
    chosen = [matches[(i, j)] for i, j in zip(rows, cols, strict=True) if (i, j) in matches]
    return sorted(chosen, key=lambda m: (-m.score, m.city))
