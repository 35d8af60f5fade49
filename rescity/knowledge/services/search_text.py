"""What a search shows of each hit: the query's terms marked in the title and a snippet, and
why the record matched (which concept or words, in which fields)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from rescity.knowledge.adapters.orm import Initiative
from rescity.knowledge.adapters.search_index import BODY_FIELDS
from rescity.knowledge.adapters.segmenter import Clause, highlight_terms, is_cjk
from rescity.knowledge.domain.thesaurus import thesaurus
from rescity.knowledge.domain.words import stem, tokens

_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class Reason:
    """Why a record matched one part of the query: through a thesaurus concept (``concept``,
    its ``label`` in the reader's language; ``related`` when it is a concept linked to the
    one the query named) or the words themselves, in which ``fields``."""

    query: str
    concept: str
    label: str
    fields: tuple[str, ...]
    related: bool = False


def _latin_part(term: str) -> str | None:
    """A regular expression finding the candidates for an English term: each word from the
    prefix it shares with its stem (so "city" finds "cities"), to the end of the word."""
    parts = []
    for word in _WORD.findall(term):
        low = word.lower()
        root = stem(low)
        n = next((i for i, (a, b) in enumerate(zip(low, root, strict=False)) if a != b), None)
        prefix = low[: min(len(low), len(root)) if n is None else n] or low
        parts.append(re.escape(prefix) + r"\w*")
    return r"\b" + r"\W+".join(parts) if parts else None


def _literal_start(part: str) -> str:
    """The literal text an expression of :func:`_latin_part` begins with (after ``\\b``)."""
    return re.sub(r"\\(.)", r"\1", part[2:].split("\\w*", 1)[0])


class Marker:
    """Finds a query's terms in text as the index matched them: Chinese terms as substrings,
    English terms as words with the same stems, so "park" marks "parks" but not "parking"
    (a candidate is kept only when its words' stems are a term's)."""

    def __init__(self, terms: list[str]) -> None:
        self.stems: set[tuple[str, ...]] = set()
        singles: list[tuple[str, str]] = []
        for term in sorted(dict.fromkeys(terms), key=len, reverse=True):
            if is_cjk(term):
                singles.append((term, re.escape(term)))
                continue
            part = _latin_part(term)
            if part is not None:
                self.stems.add(tuple(tokens(term)))
                singles.append((term, part))
        self.pattern = (
            re.compile("|".join(p for _, p in singles), re.IGNORECASE) if singles else None
        )
        self._singles = [re.compile(p, re.IGNORECASE) for _, p in singles]
        # literal lower-case starts of the terms, to find the first one with str.find
        self._starts = [
            (term.lower() if is_cjk(term) else _literal_start(p), is_cjk(term), x)
            for (term, p), x in zip(singles, self._singles, strict=True)
        ]

    def _ok(self, found: str) -> bool:
        return is_cjk(found) or tuple(tokens(found)) in self.stems

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each term found, left to right, not overlapping."""
        if self.pattern is None:
            return
        pos = 0
        while (m := self.pattern.search(text, pos)) is not None:
            if self._ok(m.group(0)):
                yield m.span()
                pos = m.end()
                continue
            # the longest candidate at this place is no term: try each term there
            end = next(
                (
                    x.end()
                    for p in self._singles
                    if (x := p.match(text, m.start())) is not None and self._ok(x.group(0))
                ),
                None,
            )
            if end is not None:
                yield m.start(), end
                pos = end
            else:
                pos = m.start() + 1

    def first(self, text: str) -> int | None:
        """Where the first term starts in ``text``: each term's literal start looked up with
        ``str.find`` (much faster than the combined expression on long fields)."""
        low = text.lower()
        best: int | None = None
        for start_text, cjk, single in self._starts:
            at = low.find(start_text)
            while at >= 0 and (best is None or at < best):
                if cjk:
                    best = at
                    break
                if not (at and low[at - 1].isalnum()):
                    m = single.match(text, at)
                    if m is not None and self._ok(m.group(0)):
                        best = at
                        break
                at = low.find(start_text, at + 1)
        return best

    def highlight(self, text: str) -> Markup:
        """``text`` escaped, with every term found wrapped in <mark>."""
        out = Markup("")
        pos = 0
        for start, end in self.spans(text):
            out += escape(text[pos:start]) + Markup("<mark>") + escape(text[start:end])
            out += Markup("</mark>")
            pos = end
        return out + escape(text[pos:])


@lru_cache(maxsize=256)
def marker_for(query: str) -> Marker:
    """The query's :class:`Marker`, compiled once per query text (its expressions outnumber
    the ``re`` module's own cache when many different queries come in)."""
    return Marker(highlight_terms(query))


def snippet(item: Initiative, marker: Marker, lang: str, *, width: int = 220) -> Markup:
    """The first passage (in ``lang`` first, then the other language) where a term occurs."""
    order = (lang, "zh" if lang == "en" else "en")
    fallback = ""
    for lg in order:
        for name in BODY_FIELDS:
            value = getattr(item, f"{name}_{lg}")
            text = " ".join(value) if isinstance(value, list) else (value or "")
            if not text:
                continue
            fallback = fallback or text
            at = marker.first(text)
            if at is not None:
                start = max(0, at - width // 3)
                piece = text[start : start + width]
                prefix = "…" if start else ""
                suffix = "…" if start + width < len(text) else ""
                return escape(prefix) + marker.highlight(piece) + escape(suffix)
    return escape(fallback[:width] + ("…" if len(fallback) > width else ""))


def _field_texts(item: Initiative) -> list[tuple[str, str]]:
    out = [("title", f"{item.title_en} {item.title_zh}")]
    for name in BODY_FIELDS:
        parts = []
        for lg in ("en", "zh"):
            value = getattr(item, f"{name}_{lg}")
            parts.append("\n".join(value) if isinstance(value, list) else (value or ""))
        out.append((name, "\n".join(parts)))
    return [(n, t) for n, t in out if t.strip()]


def _words(clause: Clause) -> list[str]:
    """The clause's own words as lower-case strings to look for (not its concepts)."""
    out = [clause.surface.lower()]
    for alt in clause.alts:
        if alt.kind != "all" and not alt.tokens[0].startswith("zzc"):
            out.append(("" if all(is_cjk(t) for t in alt.tokens) else " ").join(alt.tokens))
    return out


def explain(item: Initiative, clauses: list[Clause], lang: str) -> list[Reason]:
    """For each part of the query, the concept or words it matched and the fields where;
    a concept linked to the query's only when neither matched.

    Checked with substring tests on the lower-cased fields (fast enough for a page of hits;
    the index already decided that the record matches)."""
    if not clauses:
        return []
    th = thesaurus()
    texts = _field_texts(item)
    fields = [(name, text.lower()) for name, text in texts]
    stemmed: list[tuple[str, list[str]]] | None = None
    out = []
    for clause in clauses:
        reason = None
        for cid in clause.concepts:
            where = tuple(name for name, text in fields if th.present(cid, text))
            if where:
                reason = Reason(clause.surface, cid, th.concepts[cid].label(lang), where)
                break
        if reason is None:
            words = _words(clause)
            where = tuple(name for name, text in fields if any(w in text for w in words))
            if where:
                reason = Reason(clause.surface, "", "", where)
        for cid in clause.related if reason is None else ():
            where = tuple(name for name, text in fields if th.present(cid, text))
            if where:
                reason = Reason(clause.surface, cid, th.concepts[cid].label(lang), where, True)
                break
        if reason is None and (clause.concepts or clause.related):
            # an English label matched through another word form ("lifting" for "lifts"):
            # look for the labels' stems among the fields' tokens, as the index did (slower,
            # so only here; the Chinese labels were looked for above as substrings)
            if stemmed is None:
                stemmed = [(name, tokens(text)) for name, text in texts]
            for cid in clause.concepts + clause.related:
                where = tuple(name for name, toks in stemmed if th.in_tokens(cid, toks))
                if where:
                    label = th.concepts[cid].label(lang)
                    reason = Reason(clause.surface, cid, label, where, cid in clause.related)
                    break
        if reason is not None:
            out.append(reason)
    return out
