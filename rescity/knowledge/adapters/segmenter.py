"""Turning zh/en text into the tokens both full-text backends index, and queries into clauses.

SQLite FTS5 and PostgreSQL's 'simple' configuration split on spaces and punctuation, which
does not work for Chinese and does not stem English. So we segment before indexing and
store space-separated tokens:

* Chinese runs: jieba's search-mode words (with a custom dictionary of planning terms such as
  海绵城市, 生活圈, 韧性) **plus every character bigram of the run**, so that any two-character
  query matches, even inside a word jieba did not split that way;
* Latin/digit runs: stemmed lower-case words (:mod:`rescity.knowledge.domain.words`), with
  COVID-19 and SDG numbers kept whole.

A query is read into :class:`Clause` objects, all of which a record must match. A clause is a
set of alternatives: a thesaurus concept named in the query ("sponge city", 内涝) matches the
concept's index token or the words as written; a quoted "…" part matches as a phrase; other
words match as stems (English, stop words dropped) or as word-or-bigrams (Chinese). A concept
clause also carries the index tokens of the concepts linked to it (narrower and related,
:meth:`~rescity.knowledge.domain.thesaurus.Thesaurus.expansions`), which search matches at a
lower rank.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import jieba

from rescity.knowledge.domain.thesaurus import Found, thesaurus
from rescity.knowledge.domain.words import STOPWORDS, stem, tokens

_CJK_CLASS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
_CJK = re.compile(f"^[{_CJK_CLASS}]+$")
# Chinese function words jieba keeps as words; never required terms of a query.
_ZH_STOP = frozenset(
    {"中的", "以及", "关于", "如何", "什么", "进行", "通过", "我们", "这个", "一个", "哪些"}
    | {"有关", "方面", "相关", "的是"}
)
_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|『([^』]*)』')


@cache
def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    dictionary = resources.files("rescity.knowledge.data").joinpath("jieba_dict.txt")
    with resources.as_file(dictionary) as path:
        tok.load_userdict(str(path))
    tok.initialize()
    return tok


def load() -> None:
    """Load jieba's dictionary and the thesaurus now rather than on the first search (about
    a second): a server does it at start-up, before freezing its long-lived heap."""
    _tokenizer()
    thesaurus()


def is_cjk(text: str) -> bool:
    return bool(_CJK.match(text))


def _cjk_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return []
    words = [w for w in _tokenizer().cut_for_search(run) if len(w) >= 2]
    seen = set(words)
    return words + [b for b in (run[i : i + 2] for i in range(len(run) - 1)) if b not in seen]


def index_tokens(text: str) -> list[str]:
    """Tokens to index for ``text``, in order (English word order kept for phrases)."""
    out: list[str] = []
    pos = 0
    for m in _CJK_RUN.finditer(text):
        out.extend(tokens(text[pos : m.start()]))
        out.extend(_cjk_tokens(m.group(0)))
        pos = m.end()
    out.extend(tokens(text[pos:]))
    return out


def index_text(text: str) -> str:
    return " ".join(index_tokens(text))


@dataclass(frozen=True)
class Alt:
    """One way to satisfy a clause: a token, a phrase (adjacent tokens) or all of some tokens."""

    tokens: tuple[str, ...]
    kind: str = "word"  # "word" | "phrase" | "all"
    # matches only records that another alternative of the clause matches (a phrase that is
    # a concept's label): needed to rank, not to match
    implied: bool = False


@dataclass(frozen=True)
class Clause:
    """One required part of a query, as typed (``surface``), with its alternatives."""

    surface: str
    alts: tuple[Alt, ...]
    concepts: tuple[str, ...] = ()
    quoted: bool = False
    # concepts linked to ``concepts`` and their index tokens: matched, but ranked lower
    related: tuple[str, ...] = ()
    related_alts: tuple[Alt, ...] = ()


def _cjk_alts(word: str) -> tuple[Alt, ...]:
    if len(word) <= 2:
        return (Alt((word,)),)
    return (Alt((word,)), Alt(tuple(word[i : i + 2] for i in range(len(word) - 1)), "all"))


def _surface_alts(text: str) -> tuple[Alt, ...]:
    """Alternatives for text matched as written: a Chinese word or an English phrase."""
    if is_cjk(text):
        return _cjk_alts(text)
    toks = tuple(index_tokens(text))
    if not toks:
        return ()
    return (Alt(toks, "phrase" if len(toks) > 1 else "word"),)


def _plain_clauses(text: str) -> list[Clause]:
    out: list[Clause] = []
    pos = 0
    for m in _CJK_RUN.finditer(text + " "):
        out.extend(_latin_clauses(text[pos : m.start()]))
        run = m.group(0)
        words = list(_tokenizer().cut(run)) if len(run) > 2 else [run]
        out.extend(Clause(w, _cjk_alts(w)) for w in words if len(w) >= 2 and w not in _ZH_STOP)
        pos = m.end()
    out.extend(_latin_clauses(text[pos:]))
    return out


def _latin_clauses(text: str) -> list[Clause]:
    raw = re.findall(r"[A-Za-z0-9][A-Za-z0-9\-]*", text)
    out = []
    for word in raw:
        toks = tokens(word)
        if not toks or (len(toks) == 1 and toks[0] in STOPWORDS):
            continue
        kind = "phrase" if len(toks) > 1 else "word"
        out.append(Clause(word, (Alt(tuple(toks), kind),)))
    return out


def _expand_to(found: Found) -> tuple[str, ...]:
    """Languages whose labels a query label stands for: always the other language (what
    makes search cross-language); its own language's synonyms too when the label is
    specific (two or more English words, four or more Chinese characters), so "elderly
    care" also finds "care for the elderly" while "school" does not find all of education."""
    other = "zh" if found.lang == "en" else "en"
    specific = len(found.label.split()) >= 2 if found.lang == "en" else len(found.label) >= 4
    return (other, found.lang) if specific else (other,)


def parse_query(query: str) -> list[Clause]:
    """The clauses a query means; a record must match each of them."""
    clauses: list[Clause] = []
    rest: list[str] = []
    pos = 0
    for m in _QUOTED.finditer(query):
        rest.append(query[pos : m.start()])
        inner = next(g for g in m.groups() if g is not None).strip()
        pos = m.end()
        alts = _surface_alts(inner) if inner else ()
        if alts:
            clauses.append(Clause(inner, alts, quoted=True))
        elif inner:
            clauses.extend(_plain_clauses(inner))
    rest.append(query[pos:])
    text = " ".join(rest).replace('"', " ")
    th = thesaurus()
    spans: dict[tuple[int, int], list[Found]] = {}
    for f in th.find(text, longest=True):
        spans.setdefault((f.start, f.end), []).append(f)
    pos = 0
    for (start, end), found in sorted(spans.items()):
        if start < pos:
            continue
        clauses.extend(_plain_clauses(text[pos:start]))
        surface = text[start:end]
        concept_alts = tuple(
            Alt((th.concepts[f.concept].token(lang),)) for f in found for lang in _expand_to(f)
        )
        ids = tuple(dict.fromkeys(f.concept for f in found))
        related = tuple(
            dict.fromkeys(r for cid in ids for r in th.expansions(cid) if r not in ids)
        )
        related_alts = tuple(
            Alt((th.concepts[r].token(lang),)) for r in related for lang in ("zh", "en")
        )
        surface_alts = _surface_alts(surface)
        if any(f.lang in _expand_to(f) for f in found):
            # Records with these words in a row carry the concept's token for the label
            # found (the index finds labels on the same stemmed words): the phrase finds
            # no other record, it only ranks
            surface_alts = tuple(
                Alt(a.tokens, a.kind, implied=True) if a.kind == "phrase" else a
                for a in surface_alts
            )
        alts = concept_alts + surface_alts
        clauses.append(Clause(surface, alts, ids, related=related, related_alts=related_alts))
        pos = end
    clauses.extend(_plain_clauses(text[pos:]))
    seen: set[tuple[Alt, ...]] = set()
    unique = []
    for c in clauses:
        if c.alts not in seen:
            seen.add(c.alts)
            unique.append(c)
    return unique


def highlight_terms(query: str) -> list[str]:
    """Surface strings to mark in results: the query's words, their stems, and every label
    of the concepts it names (so a Chinese query marks the English words that matched)."""
    th = thesaurus()
    out: list[str] = []
    for clause in parse_query(query):
        out.append(clause.surface)
        for alt in clause.alts:
            if alt.kind == "word" and not alt.tokens[0].startswith("zzc"):
                out.append(alt.tokens[0])
        for cid in clause.concepts + clause.related:
            out.extend(th.concepts[cid].en + th.concepts[cid].zh)
    return list(dict.fromkeys(t for t in out if t))


__all__ = ["Alt", "Clause", "index_text", "index_tokens", "is_cjk", "load", "parse_query", "stem"]
