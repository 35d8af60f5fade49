"""Taxonomies (SDGs, EU Urban Agenda, IUC clusters, Guangzhou Award themes) and auto-tagging.

Both are data in ``rescity/knowledge/data``; this module only reads them and applies the
keyword rules.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

KINDS = ("sdg", "urban_agenda", "iuc_cluster", "gz_theme")


@dataclass(frozen=True)
class Term:
    code: str
    kind: str
    en: str
    zh: str

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class TagRule:
    name: str
    en: tuple[str, ...]
    zh: tuple[str, ...]
    tags: tuple[str, ...]
    min_hits: int = 1
    strong: tuple[str, ...] = ()


@cache
def read_data(name: str) -> dict[str, Any]:
    text = resources.files("rescity.knowledge.data").joinpath(name).read_text("utf-8")
    return tomllib.loads(text)


@cache
def terms() -> dict[str, Term]:
    data = read_data("taxonomies.toml")
    found: dict[str, Term] = {}
    for kind in KINDS:
        for row in data.get(kind, []):
            found[row["code"]] = Term(row["code"], kind, row["en"], row["zh"])
    return found


@cache
def crosswalk() -> dict[str, dict[str, tuple[str, ...]]]:
    """Guangzhou Award theme → {taxonomy kind: codes covering the same ground}; both ways:
    a Urban Agenda or IUC code maps back to the Guangzhou themes that list it."""
    known = terms()
    out: dict[str, dict[str, list[str]]] = {}
    for gz, row in read_data("crosswalk.toml").items():
        for kind, codes in row.items():
            unknown = [c for c in [gz, *codes] if c not in known]
            if unknown:
                raise ValueError(f"crosswalk.toml: unknown codes {unknown}")
            for code in codes:
                out.setdefault(gz, {}).setdefault(kind, []).append(code)
                out.setdefault(code, {}).setdefault("gz_theme", []).append(gz)
    return {c: {k: tuple(v) for k, v in m.items()} for c, m in out.items()}


_KIND_SHORT = {"urban_agenda": "EU UA", "iuc_cluster": "IUC", "gz_theme": "GZ", "sdg": "SDG"}


def facet_label(code: str, lang: str) -> str:
    """A theme's label with its taxonomy, so equal names from two taxonomies stay apart
    ("Circular economy · EU UA" and "Circular economy · IUC")."""
    kind = kind_of(code)
    short = _KIND_SHORT.get(kind, "")
    return f"{label(code, lang)} · {short}" if short and kind != "sdg" else label(code, lang)


def kind_of(code: str) -> str:
    term = terms().get(code)
    return term.kind if term else ""


def label(code: str, lang: str) -> str:
    term = terms().get(code)
    return term.label(lang) if term else code


@cache
def rules() -> tuple[TagRule, ...]:
    data = read_data("tagging.toml")
    known = terms()
    out = []
    for row in data["rule"]:
        unknown = [t for t in row["tags"] if t not in known]
        if unknown:
            raise ValueError(f"tagging.toml rule {row['name']!r}: unknown tags {unknown}")
        out.append(
            TagRule(
                row["name"],
                tuple(row.get("en", [])),
                tuple(row.get("zh", [])),
                tuple(row["tags"]),
                int(row.get("min_hits", 1)),
                tuple(row.get("strong", [])),
            )
        )
    return tuple(out)


@cache
def _en_pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(word.lower())}s?(?![a-z0-9])")


def _hit(word: str, text: str, lowered: str) -> bool:
    if word.isascii():
        return _en_pattern(word).search(lowered) is not None
    return word in text


_SDG_LIST = re.compile(
    r"(?:\bSDGs?|\bSustainable\s+Development\s+Goals?|可持续发展目标)\s*[#\-]?\s*"
    r"(?P<nums>\d{1,2}(?:\s*(?:,|、|and|&|/|和|与)\s*(?:SDG\s*)?\d{1,2})*)(?!\d)",
    re.IGNORECASE,
)


def explicit_sdgs(text: str) -> list[str]:
    """The SDGs a text names by number ("SDG 14", "SDGs 6 and 11", 可持续发展目标11)."""
    found = []
    for m in _SDG_LIST.finditer(text):
        for n in re.findall(r"\d{1,2}", m["nums"]):
            if 1 <= int(n) <= 17:
                found.append(f"sdg{int(n)}")
    return sorted(set(found), key=_code_order)


def auto_tags(text: str, *, whole_text: str = "", background: str = "") -> list[str]:
    """Taxonomy codes whose rules match ``text`` (any language), plus the SDGs named
    explicitly in ``whole_text`` (or ``text``), sorted. Strong keywords also count in
    ``background`` (the problem a case addresses, e.g. a city's migrant population)."""
    lowered = text.lower()
    wider = f"{text}\n{background}"
    wider_lowered = wider.lower()
    tags: set[str] = set(explicit_sdgs(whole_text or text))
    for rule in rules():
        if any(_hit(w, wider, wider_lowered) for w in rule.strong):
            tags.update(rule.tags)
            continue
        hits = sum(1 for w in rule.en if _en_pattern(w).search(lowered))
        hits += sum(1 for w in rule.zh if w in text)
        if rule.en + rule.zh and hits >= rule.min_hits:
            tags.update(rule.tags)
    return sorted(tags, key=_code_order)


def _code_order(code: str) -> tuple[int, int, str]:
    kind = kind_of(code)
    num = int(code[3:]) if code.startswith("sdg") and code[3:].isdigit() else 0
    return (KINDS.index(kind) if kind in KINDS else 9, num, code)


def sort_codes(codes: list[str]) -> list[str]:
    return sorted(set(codes), key=_code_order)
