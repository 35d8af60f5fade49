"""Partner-city matching: documented components, hard filters, reasons, optimal assignment.

See docs/knowledge/matching.md for the formula. Everything here is pure: the service builds
:class:`CityFeatures` from the database and passes them in.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from rescity.knowledge.domain.taxonomy import kind_of, label

WEIGHTS: dict[str, float] = {
    "themes": 0.25,
    "sdgs": 0.10,
    "clusters": 0.15,
    "complementarity": 0.25,
    "context": 0.15,
    "text": 0.10,
}
THEME_KINDS = ("urban_agenda", "gz_theme")


@dataclass
class CityFeatures:
    key: str
    name: str
    region: str  # "cn" / "eu"
    tags: Counter[str] = field(default_factory=Counter)  # codes over its initiatives
    clusters: set[str] = field(default_factory=set)  # programme clusters + cluster tags
    weak_themes: set[str] = field(default_factory=set)  # themes its weak indices need
    weak_indices: list[str] = field(default_factory=list)
    population: float | None = None
    density: float | None = None
    gdp_per_capita: float | None = None
    tokens: list[str] = field(default_factory=list)
    paired_with: set[str] = field(default_factory=set)


@dataclass
class Component:
    name: str
    score: float
    weight: float
    reason: str = ""


@dataclass
class Match:
    city: str
    candidate: str
    score: float
    components: list[Component]

    @property
    def reasons(self) -> list[str]:
        ranked = sorted(self.components, key=lambda c: c.score * c.weight, reverse=True)
        return [c.reason for c in ranked if c.reason and c.score > 0]


def weighted_jaccard(a: Counter[str], b: Counter[str]) -> float:
    keys = set(a) | set(b)
    if not keys:
        return 0.0
    num = sum(min(a[k], b[k]) for k in keys)
    den = sum(max(a[k], b[k]) for k in keys)
    return num / den if den else 0.0


def _by_kind(tags: Counter[str], kinds: Iterable[str]) -> Counter[str]:
    wanted = set(kinds)
    return Counter({k: v for k, v in tags.items() if kind_of(k) in wanted})


def context_similarity(a: CityFeatures, b: CityFeatures) -> tuple[float | None, str]:
    """1 / (1 + RMS of log10 differences) over population, density and GDP per capita."""
    diffs: list[float] = []
    notes: list[str] = []
    for name, x, y in (
        ("population", a.population, b.population),
        ("density", a.density, b.density),
        ("GDP per capita", a.gdp_per_capita, b.gdp_per_capita),
    ):
        if x and y and x > 0 and y > 0:
            d = math.log10(x) - math.log10(y)
            diffs.append(d * d)
            notes.append(f"{name} {_short(x)} vs {_short(y)}")
    if not diffs:
        return None, ""
    rms = math.sqrt(sum(diffs) / len(diffs))
    return 1.0 / (1.0 + rms), "similar context: " + ", ".join(notes)


def _short(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    if x >= 1e4:
        return f"{x / 1e3:.0f}k"
    return f"{x:,.0f}"


def tfidf_cosines(docs: dict[str, list[str]]) -> dict[tuple[str, str], float]:
    """Cosine similarity of TF-IDF vectors (log-scaled tf, smooth idf) for every pair."""
    keys = [k for k, toks in docs.items() if toks]
    vocab: dict[str, int] = {}
    for k in keys:
        for t in set(docs[k]):
            vocab.setdefault(t, len(vocab))
    if not keys or not vocab:
        return {}
    mat = np.zeros((len(keys), len(vocab)))
    for i, k in enumerate(keys):
        for t, n in Counter(docs[k]).items():
            mat[i, vocab[t]] = 1.0 + math.log(n)
    df = (mat > 0).sum(axis=0)
    mat *= np.log((1 + len(keys)) / (1 + df)) + 1.0
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    mat /= np.where(norms == 0, 1, norms)
    sims = mat @ mat.T
    return {(a, b): float(sims[i, j]) for i, a in enumerate(keys) for j, b in enumerate(keys)}


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


def score_pair(
    a: CityFeatures,
    b: CityFeatures,
    *,
    text_sim: float | None = None,
    weights: dict[str, float] | None = None,
) -> Match:
    w = weights or WEIGHTS
    comps: list[Component] = []
    themes_a, themes_b = _by_kind(a.tags, THEME_KINDS), _by_kind(b.tags, THEME_KINDS)
    shared = sorted(set(themes_a) & set(themes_b))
    comps.append(
        Component(
            "themes",
            weighted_jaccard(themes_a, themes_b),
            w["themes"],
            "shared themes: " + ", ".join(label(c, "en") for c in shared[:4]) if shared else "",
        )
    )
    sdg_a, sdg_b = _by_kind(a.tags, ("sdg",)), _by_kind(b.tags, ("sdg",))
    shared_sdg = sorted(set(sdg_a) & set(sdg_b), key=lambda c: int(c[3:]))
    comps.append(
        Component(
            "sdgs",
            weighted_jaccard(sdg_a, sdg_b),
            w["sdgs"],
            "shared SDGs: " + ", ".join(c.upper() for c in shared_sdg[:5]) if shared_sdg else "",
        )
    )
    ca, cb = (
        a.clusters | set(_by_kind(a.tags, ("iuc_cluster",))),
        b.clusters | set(_by_kind(b.tags, ("iuc_cluster",))),
    )
    both = sorted(ca & cb)
    comps.append(
        Component(
            "clusters",
            len(both) / len(ca | cb) if ca | cb else 0.0,
            w["clusters"],
            "same IUC clusters: " + ", ".join(label(c, "en") for c in both) if both else "",
        )
    )
    comp_scores: list[float] = []
    comp_notes: list[str] = []
    for weak, strong in ((a, b), (b, a)):
        if weak.weak_themes:
            covered = weak.weak_themes & set(strong.tags)
            comp_scores.append(len(covered) / len(weak.weak_themes))
            if covered:
                comp_notes.append(
                    f"{strong.name} has initiatives on {weak.name}'s weak "
                    f"{'/'.join(weak.weak_indices) or 'areas'} ("
                    + ", ".join(label(c, "en") for c in sorted(covered)[:3])
                    + ")"
                )
    if comp_scores:
        comps.append(
            Component(
                "complementarity",
                sum(comp_scores) / len(comp_scores),
                w["complementarity"],
                "; ".join(comp_notes),
            )
        )
    ctx, note = context_similarity(a, b)
    if ctx is not None:
        comps.append(Component("context", ctx, w["context"], note))
    if text_sim is not None:
        comps.append(
            Component(
                "text",
                text_sim,
                w["text"],
                f"similar initiative texts (cosine {text_sim:.2f})" if text_sim >= 0.05 else "",
            )
        )
    total_w = sum(c.weight for c in comps)
    score = sum(c.score * c.weight for c in comps) / total_w if total_w else 0.0
    return Match(a.key, b.key, score, comps)


def rank_candidates(
    city: CityFeatures, others: Sequence[CityFeatures], *, limit: int = 10
) -> list[Match]:
    """Eligible partners for ``city``, best first, each with its components and reasons."""
    sims = tfidf_cosines({c.key: c.tokens for c in [city, *others]})
    matches = [
        score_pair(city, other, text_sim=sims.get((city.key, other.key)))
        for other in others
        if eligible(city, other)
    ]
    matches.sort(key=lambda m: (-m.score, m.candidate))
    return matches[:limit]


def assign(left: Sequence[CityFeatures], right: Sequence[CityFeatures]) -> list[Match]:
    """Optimal one-to-one pairing maximising the total score (Hungarian algorithm).

    Ineligible pairs (same region, already paired) are never chosen; a city may stay
    unpaired when the sides differ in size or nothing eligible is left for it.
    """
    if not left or not right:
        return []
    sims = tfidf_cosines({c.key: c.tokens for c in [*left, *right]})
    forbidden = -1e6
    scores = np.full((len(left), len(right)), forbidden)
    matches: dict[tuple[int, int], Match] = {}
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            if eligible(a, b):
                m = score_pair(a, b, text_sim=sims.get((a.key, b.key)))
                scores[i, j] = m.score
                matches[(i, j)] = m
    rows, cols = linear_sum_assignment(scores, maximize=True)
    chosen = [matches[(i, j)] for i, j in zip(rows, cols, strict=True) if (i, j) in matches]
    return sorted(chosen, key=lambda m: -m.score)
