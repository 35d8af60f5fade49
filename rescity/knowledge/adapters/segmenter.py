"""Turning zh/en text into the tokens both full-text backends index.

SQLite FTS5 and PostgreSQL's 'simple' configuration split on spaces and punctuation, which
does not work for Chinese. So we segment before indexing and store space-separated tokens:

* Chinese runs: jieba's search-mode words (with a custom dictionary of planning terms such as
  海绵城市, 生活圈, 韧性) **plus every character bigram of the run**, so that any two-character
  query matches, even inside a word jieba did not split that way;
* Latin/digit runs: lower-cased words.

Queries are segmented with the same dictionary. A Chinese query word of three or more
characters matches either as a word or as all of its bigrams; English words match as
prefixes ("school" finds "schools"). Single Chinese characters are not indexed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import jieba

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")


@cache
def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    dictionary = resources.files("rescity.knowledge.data").joinpath("jieba_dict.txt")
    with resources.as_file(dictionary) as path:
        tok.load_userdict(str(path))
    tok.initialize()
    return tok


def is_cjk(text: str) -> bool:
    return bool(_CJK.match(text))


def _latin(word: str) -> str:
    return re.sub(r"['’]", "", word.lower())


def index_tokens(text: str) -> list[str]:
    """Tokens to index for ``text``, in order, words and bigrams interleaved per run."""
    out: list[str] = []
    for run in _RUN.findall(text):
        if is_cjk(run):
            if len(run) == 1:
                continue
            words = [w for w in _tokenizer().cut_for_search(run) if len(w) >= 2]
            bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
            seen = set(words)
            out.extend(words)
            out.extend(b for b in bigrams if b not in seen)
        else:
            out.append(_latin(run))
    return out


def index_text(text: str) -> str:
    return " ".join(index_tokens(text))


@dataclass(frozen=True)
class QueryTerm:
    """One term of a query: a word, matched as prefix (Latin) or as word-or-bigrams (CJK)."""

    text: str
    prefix: bool = False
    bigrams: tuple[str, ...] = ()


def query_terms(query: str) -> list[QueryTerm]:
    """The terms a query means, all of which a document must contain."""
    terms: list[QueryTerm] = []
    seen: set[str] = set()
    for run in _RUN.findall(query):
        if is_cjk(run):
            words = list(_tokenizer().cut(run)) if len(run) > 2 else [run]
            for w in words:
                if len(w) < 2 or w in seen:
                    continue
                seen.add(w)
                grams = tuple(w[i : i + 2] for i in range(len(w) - 1)) if len(w) > 2 else ()
                terms.append(QueryTerm(w, bigrams=grams))
        else:
            w = _latin(run)
            if w and w not in seen:
                seen.add(w)
                terms.append(QueryTerm(w, prefix=True))
    return terms


def highlight_terms(query: str) -> list[str]:
    """Surface strings to mark in results (words and, for Chinese, the query words)."""
    return [t.text for t in query_terms(query)]
