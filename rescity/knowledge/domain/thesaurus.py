"""The bilingual urban-domain thesaurus: concepts with zh/en labels, and finding them in text.

A concept (SKOS-style) has preferred and alternative labels in both languages, a scheme
(planning, water, health…) and a source. Finding concepts in a text is what makes search
cross-language: the index stores a token per concept found in a record, and a query's
concepts are searched by that token, so 内涝 finds a record that only says "waterlogging".

English labels match as phrases of stemmed words (so "sponge city" also finds "sponge
cities"); Chinese labels match as substrings (a label ending in a digit not inside a longer
number). Other features (recommendations, tagging) call :func:`concept_ids`.

Concepts are linked (SKOS ``broader`` and ``related``, the ``[links]`` table): a query for a
concept is also expanded, at a lower rank, to its narrower and related concepts
(:meth:`Thesaurus.expansions`).
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rescity.knowledge.domain.words import tokens, words

CONCEPT_MARK = "zzc"
_LINKS = ("broader", "related")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass(frozen=True)
class Concept:
    id: str  # "<scheme>.<name>"
    scheme: str
    en: tuple[str, ...]  # preferred label first
    zh: tuple[str, ...]
    source: str

    def label(self, lang: str) -> str:
        return self.zh[0] if lang == "zh" else self.en[0]

    def token(self, lang: str) -> str:
        """The index token standing for this concept found through a label in ``lang``
        (letters and digits only)."""
        return CONCEPT_MARK + re.sub(r"[^a-z0-9]", "", self.id.lower()) + lang[0]


@dataclass(frozen=True)
class Found:
    """One label of a concept found in a text, with its character span."""

    concept: str
    start: int
    end: int
    label: str
    lang: str  # "en" or "zh": the language of the label found


class Thesaurus:
    """Concepts with label indexes for matching English phrases and Chinese substrings."""

    def __init__(
        self,
        concepts: list[Concept],
        sources: dict[str, str],
        links: dict[str, list[list[str]]] | None = None,
    ) -> None:
        self.concepts = {c.id: c for c in concepts}
        self.sources = sources
        self.broader: dict[str, tuple[str, ...]] = {}
        self._expand: dict[str, dict[str, None]] = defaultdict(dict)
        for kind, pairs in (links or {}).items():
            for a, b in pairs:
                if a not in self.concepts or b not in self.concepts or kind not in _LINKS:
                    raise ValueError(f"thesaurus.toml: bad {kind} link {a} - {b}")
                self._expand[b][a] = None  # a query for the broader finds the narrower
                if kind == "broader":
                    self.broader[a] = (*self.broader.get(a, ()), b)
                else:
                    self._expand[a][b] = None
        self.by_token = {c.token("en"): c for c in concepts}
        self._present: dict[str, tuple[tuple[str, bool], ...]] = {}
        if len(self.by_token) != len(self.concepts):
            raise ValueError("thesaurus: two concept ids give the same index token")
        self._en: dict[str, list[tuple[tuple[str, ...], str, str]]] = defaultdict(list)
        self._zh: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self._en_keys: dict[str, list[list[str]]] = defaultdict(list)
        for c in concepts:
            for label in c.en:
                key = tuple(tokens(label))
                if key:
                    self._en[key[0]].append((key, c.id, label))
                    self._en_keys[c.id].append(list(key))
            for label in c.zh:
                low = label.lower()
                self._zh[low[:2]].append((low, c.id))
        for en_list in self._en.values():
            en_list.sort(key=lambda e: -len(e[0]))
        for zh_list in self._zh.values():
            zh_list.sort(key=lambda e: -len(e[0]))

    def expansions(self, cid: str) -> tuple[str, ...]:
        """Concepts a query for ``cid`` also finds, ranked lower: its narrower concepts and
        its related ones (one hop)."""
        return tuple(self._expand.get(cid, ()))

    def find(self, text: str, *, longest: bool = False) -> list[Found]:
        """Every concept label occurring in ``text`` (both languages), in text order.

        ``longest`` keeps, at each position, only the longest label and skips what it
        covers (how a query is read: "elderly care" is one concept, not two words).
        """
        found = self._find_en(text, longest) + self._find_zh(text, longest)
        found.sort(key=lambda f: (f.start, -(f.end - f.start)))
        return found

    def _find_en(self, text: str, longest: bool) -> list[Found]:
        ws = words(text)
        toks = [w.token for w in ws]
        out: list[Found] = []
        i = 0
        while i < len(ws):
            step = 1
            for key, cid, label in self._en.get(toks[i], ()):
                n = len(key)
                if tuple(toks[i : i + n]) == key:
                    out.append(Found(cid, ws[i].start, ws[i + n - 1].end, label, "en"))
                    if longest:
                        step = max(step, n)
                        # keep the other concepts with exactly this label span
                        out.extend(
                            Found(c2, ws[i].start, ws[i + n - 1].end, l2, "en")
                            for k2, c2, l2 in self._en[toks[i]]
                            if k2 == key and c2 != cid
                        )
                        break
            i += step
        return _dedupe(out)

    def _find_zh(self, text: str, longest: bool) -> list[Found]:
        """Chinese labels, looked for only where the text has Chinese (with the few Latin
        characters before a run, for labels such as 15分钟生活圈)."""
        low = text.lower()
        out: list[Found] = []
        for m in _CJK_RUN.finditer(low):
            start = m.start()
            while start > 0 and m.start() - start < 6 and low[start - 1].isalnum():
                start -= 1
            out.extend(self._scan_zh(low, start, m.end(), longest))
        return _dedupe(out)

    def _scan_zh(self, low: str, start: int, stop: int, longest: bool) -> list[Found]:
        out: list[Found] = []
        i = start
        while i < stop - 1:
            step = 1
            for label, cid in self._zh.get(low[i : i + 2], ()):
                end = i + len(label)
                if low.startswith(label, i) and not (
                    label[-1].isdigit() and end < len(low) and low[end].isdigit()
                ):
                    out.append(Found(cid, i, end, label, "zh"))
                    if longest:
                        step = len(label)
                        out.extend(
                            Found(c2, i, end, l2, "zh")
                            for l2, c2 in self._zh[low[i : i + 2]]
                            if l2 == label and c2 != cid
                        )
                        break
            i += step
        return out

    def present(self, cid: str, low_text: str) -> bool:
        """Whether a label of one concept occurs in **lower-cased** text, found with
        ``str.find`` (fast enough to explain a page of hits): Chinese labels anywhere,
        English labels and their plurals as whole words, so "park" is not found in
        "parking"."""
        labels = self._present.get(cid)
        if labels is None:
            concept = self.concepts[cid]
            labels = tuple((label.lower(), False) for label in concept.zh) + tuple(
                (label.lower(), True) for label in concept.en
            )
            self._present[cid] = labels
        for label, latin in labels:
            needle = label[:-1] if latin and label.endswith("y") else label
            at = low_text.find(needle)
            while at >= 0:
                if not latin or _whole_word(low_text, at, label):
                    return True
                at = low_text.find(needle, at + 1)
        return False

    def in_tokens(self, cid: str, toks: list[str]) -> bool:
        """Whether an English label of one concept occurs in ``toks`` (a text's
        :func:`~rescity.knowledge.domain.words.tokens`), as the index finds it: the label's
        stemmed words in a row, so "lifting" is found for "lifts"."""
        for key in self._en_keys.get(cid, ()):
            first, n = key[0], len(key)
            at = -1
            while True:
                try:
                    at = toks.index(first, at + 1)
                except ValueError:
                    break
                if n == 1 or toks[at : at + n] == key:
                    return True
        return False

    def index_tokens(self, text: str) -> list[str]:
        """Index tokens of the concepts in ``text`` (as :meth:`tokens`), the fast way:
        no character spans are needed to index a record."""
        toks = tokens(text)
        out: dict[str, None] = {}
        for i, tok in enumerate(toks):
            for key, cid, _ in self._en.get(tok, ()):
                if tuple(toks[i : i + len(key)]) == key:
                    out[self.concepts[cid].token("en")] = None
        for f in self._find_zh(text, False):
            out[self.concepts[f.concept].token("zh")] = None
        return list(out)

    def tokens(self, text: str, found: list[Found] | None = None) -> list[str]:
        """Index tokens of the concepts in ``text`` (or of ``found``, already looked up),
        per language of the label found."""
        th = self.concepts
        hits = self.find(text) if found is None else found
        return list(dict.fromkeys(th[f.concept].token(f.lang) for f in hits))

    def ids(self, text: str) -> list[str]:
        """Ids of the concepts in ``text``, each once, in order of first occurrence."""
        return list(dict.fromkeys(f.concept for f in self.find(text)))


def _whole_word(text: str, at: int, label: str) -> bool:
    """Whether the English ``label`` (or its plural) found at ``at`` stands as whole words."""
    if at and text[at - 1].isalnum():
        return False
    if label.endswith("y"):
        endings: tuple[str, ...] = ("y", "ies")
        end = at + len(label) - 1
    else:
        endings = ("", "s", "es")
        end = at + len(label)
    for ending in endings:
        stop = end + len(ending)
        if text.startswith(ending, end) and not (stop < len(text) and text[stop].isalnum()):
            return True
    return False


def _dedupe(found: list[Found]) -> list[Found]:
    return list(dict.fromkeys(found))


@cache
def thesaurus() -> Thesaurus:
    """The packaged thesaurus (``rescity/knowledge/data/thesaurus.toml``), read once."""
    raw = resources.files("rescity.knowledge.data").joinpath("thesaurus.toml").read_text("utf-8")
    data = tomllib.loads(raw)
    sources = {str(k): str(v) for k, v in data.pop("sources", {}).items()}
    links = data.pop("links", {})
    concepts: list[Concept] = []
    for scheme, table in data.items():
        for name, row in table.items():
            cid = f"{scheme}.{name}"
            en, zh, src = tuple(row.get("en", ())), tuple(row.get("zh", ())), row.get("src", "")
            if not en or not zh or src not in sources:
                raise ValueError(f"thesaurus.toml: concept {cid} needs en, zh and a known src")
            concepts.append(Concept(cid, scheme, en, zh, src))
    return Thesaurus(concepts, sources, links)


def concept_ids(text: str) -> list[str]:
    """Ids of the thesaurus concepts named in a zh/en text (for matching and recommending)."""
    return thesaurus().ids(text)
