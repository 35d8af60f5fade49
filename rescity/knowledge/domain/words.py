"""English word normalisation shared by the search index, the query parser and the thesaurus.

Words are lower-cased and stemmed (Snowball English), so "community" and "communities"
become one token; a few tokens that the usual word split would break are kept whole:
``COVID-19`` becomes ``covid19`` (never "19"), ``SDG 11``/``SDG-11``/``Sustainable
Development Goal 11`` become ``sdg11``; a few nouns whose Snowball stem is another word keep
their own (``parking`` is not ``park``). Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_SPECIAL = re.compile(
    r"(?P<covid>\bcovid[\s\-‐–]*19\b)"
    r"|(?P<sdg>\b(?:sdgs?|sustainable\s+development\s+goals?)[\s\-#‐–]*(?P<n>1[0-7]|[1-9])\b)",
    re.IGNORECASE,
)
LATIN = r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?"
_LATIN = re.compile(LATIN)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "were",
        "which",
        "with",
    ]
)
_stemmer = snowballstemmer.stemmer("english")
# Words that Snowball reduces to a different word of the urban vocabulary: without these,
# "parking" matches the query "park" (the concept green space) and "energy transition" or
# "transitional housing" match "transit" (public transport).
_OWN_STEM = {
    "parking": "parking",
    "parkings": "parking",
    "transition": "transition",
    "transitions": "transition",
    "transitional": "transition",
}


@dataclass(frozen=True)
class Word:
    """One normalised English token and where it came from in the text."""

    token: str
    start: int
    end: int


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The index form of one Latin word: lower case, apostrophes dropped, stemmed."""
    w = re.sub(r"['’]", "", word.lower())
    if not w.isalpha():
        return w
    return _OWN_STEM.get(w) or str(_stemmer.stemWord(w))


def special(match: re.Match[str]) -> str:
    return "covid19" if match.group("covid") else f"sdg{match.group('n')}"


def words(text: str) -> list[Word]:
    """The normalised English words of ``text`` with their character spans."""
    out: list[Word] = []
    pos = 0
    for m in _SPECIAL.finditer(text):
        out.extend(_plain(text, pos, m.start()))
        out.append(Word(special(m), m.start(), m.end()))
        pos = m.end()
    out.extend(_plain(text, pos, len(text)))
    return out


def _plain(text: str, start: int, end: int) -> list[Word]:
    return [Word(stem(m.group(0)), m.start(), m.end()) for m in _LATIN.finditer(text, start, end)]


def tokens(text: str) -> list[str]:
    """The normalised English words of ``text`` (as :func:`words`, without the spans)."""
    out: list[str] = []
    pos = 0
    for m in _SPECIAL.finditer(text):
        out.extend(map(stem, _LATIN.findall(text, pos, m.start())))
        out.append(special(m))
        pos = m.end()
    out.extend(map(stem, _LATIN.findall(text, pos)))
    return out
