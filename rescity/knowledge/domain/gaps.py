"""Measured gaps from an assess summary, and how directly an initiative addresses one.

A gap is absolute, never a rank among cities: the share of the assessed residents below an
index's "low" threshold, or a facility item that is missing in the assessed area or out of
the widest walking reach for most residents. The composite health-resilience score is never
a gap (it is the mean of the other indices). Which words and taxonomy codes address a gap is
data (``data/gap_concepts.toml``) behind :func:`concepts_for`, so a thesaurus can replace it.

Summary keys read (all optional, read defensively): ``indices.<name>.share_low`` and
``.low``, ``missing_items``, ``coverage.<item>.<threshold>``, ``population``, ``source``,
``area`` / ``boundary`` / ``name``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePath
from typing import Any

from rescity.knowledge.domain.assessment import normalise_index
from rescity.knowledge.domain.taxonomy import read_data

COMPOSITE = "health_resilience"
REACH_SHORTFALL = 0.5  # an item is a gap when more than half the residents cannot reach it
DIRECTNESS = {"outcome": 1.0, "measure": 0.7, "text": 0.4, "tags": 0.2}


@dataclass(frozen=True)
class Concept:
    key: str
    kind: str  # "index" or "item"
    en: str
    zh: str
    codes: frozenset[str]
    words_en: tuple[str, ...]
    words_zh: tuple[str, ...]
    thesaurus: frozenset[str] = frozenset()

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@cache
def all_concepts() -> dict[str, Concept]:
    data = read_data("gap_concepts.toml")
    out: dict[str, Concept] = {}
    for kind in ("index", "item"):
        for key, row in data.get(kind, {}).items():
            out[key] = Concept(
                key,
                kind,
                row["en"],
                row["zh"],
                frozenset(row.get("codes", [])),
                tuple(row.get("words_en", [])),
                tuple(row.get("words_zh", [])),
                frozenset(row.get("thesaurus", [])),
            )
    return out


def concepts_for(gap_key: str) -> Concept | None:
    """The concept that addresses a gap (index or item key); the one switch to a thesaurus."""
    return all_concepts().get(gap_key)


MEASURED = {
    "low": {"en": "{share} of residents below low", "zh": "{share}的居民低于低值"},
    "missing": {"en": "none in the assessed area", "zh": "评估范围内没有"},
    "beyond": {
        "en": "{share} of residents beyond {reach}",
        "zh": "{share}的居民在{reach}步行范围外",
    },
}


@dataclass
class Gap:
    key: str
    kind: str  # "index" / "item"
    severity: float  # share of the assessed residents affected, 0..1
    how: str  # "low" (index share below low), "missing" (item absent), "beyond" (out of reach)
    reach: str = ""

    def label(self, lang: str) -> str:
        concept = concepts_for(self.key)
        return concept.label(lang) if concept else self.key

    def measured(self, lang: str) -> str:
        template = MEASURED[self.how]["zh" if lang == "zh" else "en"]
        return template.format(share=f"{self.severity:.1%}", reach=self.reach)

    @property
    def detail(self) -> str:
        return self.measured("en")

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "severity": round(self.severity, 4),
            "label_en": self.label("en"),
            "label_zh": self.label("zh"),
            "measured": self.detail,
        }


@dataclass
class MeasuredGaps:
    area: str
    population: float | None
    gaps: list[Gap] = field(default_factory=list)


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def area_of(data: dict[str, Any]) -> str:
    """What the assessment covers: its stated area, else the extract's file name."""
    for key in ("area", "boundary", "name"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    source = data.get("source")
    if isinstance(source, str) and source.strip():
        return PurePath(source).name
    return "?"


def measured_gaps(data: dict[str, Any]) -> MeasuredGaps:
    """Gaps of a decoded summary.json, most severe first."""
    population = _num(data.get("population"))
    out = MeasuredGaps(area_of(data), population)
    indices = data.get("indices")
    if isinstance(indices, dict):
        for name, stats in indices.items():
            key = normalise_index(str(name))
            if key is None or key == COMPOSITE or not isinstance(stats, dict):
                continue
            share = _num(stats.get("share_low", stats.get("low_share")))
            if share is not None and share > 0 and concepts_for(key) is not None:
                out.gaps.append(Gap(key, "index", share, "low"))
    missing = data.get("missing_items")
    missing_set = {str(m) for m in missing} if isinstance(missing, list) else set()
    for item in sorted(missing_set):
        if concepts_for(item) is not None:
            out.gaps.append(Gap(item, "item", 1.0, "missing"))
    coverage = data.get("coverage")
    if isinstance(coverage, dict):
        for item, by_reach in coverage.items():
            if item in missing_set or concepts_for(str(item)) is None:
                continue
            if not isinstance(by_reach, dict) or not by_reach:
                continue
            widest = list(by_reach)[-1]
            reached = _num(by_reach[widest])
            if reached is not None and 1 - reached > REACH_SHORTFALL:
                out.gaps.append(Gap(str(item), "item", 1 - reached, "beyond", str(widest)))
    out.gaps.sort(key=lambda g: (-g.severity, g.key))
    return out


ConceptFinder = Callable[[str], list[str]]


def _has_word(text: str, concept: Concept, find: ConceptFinder | None = None) -> str | None:
    if find is not None and text:
        hit = sorted(concept.thesaurus & set(find(text)))
        if hit:
            return hit[0]
    low = text.lower()
    for word in concept.words_en:
        if re.search(rf"(?<![a-z]){re.escape(word.lower())}s?(?![a-z])", low):
            return word
    for word in concept.words_zh:
        if word in text:
            return word
    return None


@dataclass
class Directness:
    level: str  # outcome / measure / text / tags / ""
    value: float
    evidence: str


def directness(
    concept: Concept,
    *,
    outcomes: str,
    measures: list[str],
    text: str,
    codes: set[str],
    find: ConceptFinder | None = None,
) -> Directness:
    """How directly an initiative addresses a concept: its outcomes (and outcome figures)
    name it, else its key measures, else its title or abstract, else only shared tags.

    ``find`` (a thesaurus' concept finder, text → concept ids) is tried before the words."""
    word = _has_word(outcomes, concept, find)
    if word:
        return Directness("outcome", DIRECTNESS["outcome"], _snippet(outcomes, word))
    for measure in measures:
        word = _has_word(measure, concept, find)
        if word:
            return Directness("measure", DIRECTNESS["measure"], _snippet(measure, word))
    word = _has_word(text, concept, find)
    if word:
        return Directness("text", DIRECTNESS["text"], _snippet(text, word))
    shared = codes & concept.codes
    if shared and concept.codes:
        share = len(shared) / len(concept.codes)
        return Directness("tags", DIRECTNESS["tags"] * share, ", ".join(sorted(shared)))
    return Directness("", 0.0, "")


def _snippet(text: str, word: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    i = max(0, flat.lower().find(word.lower()))
    start = max(0, i - width // 2)
    return ("…" if start else "") + flat[start : start + width].strip() + "…"
