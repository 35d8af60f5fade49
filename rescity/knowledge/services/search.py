"""Search over initiatives: full text (zh/en), facets, ranking, highlighting, pagination."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any, TypeVar

from markupsafe import Markup, escape
from sqlalchemy import Select, literal, select, text
from sqlalchemy.orm import Session

from rescity.knowledge.adapters.orm import City, Initiative
from rescity.knowledge.adapters.search_index import BODY_FIELDS, SearchIndex
from rescity.knowledge.adapters.segmenter import Clause, highlight_terms, is_cjk, parse_query
from rescity.knowledge.domain.countries import country_code, country_label
from rescity.knowledge.domain.model import Status
from rescity.knowledge.domain.taxonomy import facet_label, kind_of, label
from rescity.knowledge.domain.thesaurus import thesaurus

_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])
FACETS = ("country", "city", "theme", "sdg", "year", "status")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    country: str = ""
    city: str = ""
    theme: str = ""
    sdg: str = ""
    year: int | None = None
    status: str = ""
    lang: str = "en"
    page: int = 1
    per_page: int = 20


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Reason:
    """Why a record matched one part of the query: through a thesaurus concept (``concept``,
    its ``label`` in the reader's language) or the words themselves, in which ``fields``."""

    query: str
    concept: str
    label: str
    fields: tuple[str, ...]


@dataclass
class SearchHit:
    item: Initiative
    score: float
    title: Markup
    snippet: Markup
    why: list[Reason] = field(default_factory=list)


@dataclass
class SearchResult:
    query: SearchQuery
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def _filters(stmt: _S, meta: Any, query: SearchQuery, statuses: tuple[str, ...] | None) -> _S:
    """WHERE clauses on the index's narrow rows (``meta``)."""
    if statuses is not None:
        stmt = stmt.where(meta.c.status.in_(statuses))
    if query.status:
        stmt = stmt.where(meta.c.status == query.status)
    if query.country:
        stmt = stmt.where(meta.c.country == (country_code(query.country) or query.country))
    if query.city:
        stmt = stmt.where(meta.c.city_key == query.city)
    if query.year is not None:
        stmt = stmt.where(meta.c.year == query.year)
    for code in (query.theme, query.sdg):
        if code:
            padded = literal(" ") + meta.c.tag_text + literal(" ")
            stmt = stmt.where(padded.contains(f" {code} ", autoescape=True))
    return stmt


def search(
    session: Session, query: SearchQuery, *, include_unpublished: bool = False, facets: bool = True
) -> SearchResult:
    """Run a search; only published initiatives unless ``include_unpublished``.

    One statement reads every match from the index's narrow rows (never the wide initiative
    rows): id, rank, city, year, status and tags — on SQLite the FTS5 table read once in a
    materialised CTE (so that the planner cannot re-run it per row), on PostgreSQL one GIN
    bitmap scan of ``kb_search_pg``. Ranking order, paging and facet counts
    are then done in Python, and only the page's initiatives are loaded.
    """
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    query = SearchQuery(**{**query.__dict__, "per_page": per_page, "page": page})
    statuses = None if include_unpublished else (str(Status.PUBLISHED),)
    index = SearchIndex(session)
    index.ensure()
    meta = index.meta
    columns = (meta.c.id, meta.c.city_id, meta.c.year, meta.c.status, meta.c.tag_text)
    postgres = index.dialect == "postgresql"
    if query.q.strip() and postgres:
        found = index.pg_condition(query.q)
        if found is None:
            return SearchResult(query, 0, [], {})
        condition, rank = found
        stmt = select(*columns, rank.label("score")).where(condition)
        # The planner's cost model misses that a sequential scan must decompress every row's
        # tsvector to test it; the GIN bitmap scan reads only the matching rows.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        rows: list[Any] = list(session.execute(_filters(stmt, meta, query, statuses)).all())
        session.execute(text("SET LOCAL enable_seqscan = on"))
    else:
        if query.q.strip():
            scored = index.matches(query.q)
            if scored is None:
                return SearchResult(query, 0, [], {})
            m = scored.cte("m").prefix_with("MATERIALIZED")
            stmt = select(*columns, m.c.score).select_from(m).join(meta, meta.c.id == m.c.id)
        else:
            stmt = select(*columns, literal(0.0).label("score"))
        rows = list(session.execute(_filters(stmt, meta, query, statuses)).all())
    # id ascending, then (stable) rank or year descending: C-level sorts, deterministic ties
    rows.sort(key=itemgetter(0))
    if query.q.strip():
        rows.sort(key=itemgetter(5), reverse=True)
    else:
        rows.sort(key=lambda r: r[2] or 0, reverse=True)
    page_rows = [(r[0], r[5]) for r in rows[(page - 1) * per_page : page * per_page]]
    chosen = [int(r[0]) for r in page_rows]
    scores = {int(r[0]): float(r[1] or 0) for r in page_rows}
    by_id = {i.id: i for i in session.scalars(select(Initiative).where(Initiative.id.in_(chosen)))}
    terms = highlight_terms(query.q)
    clauses = parse_query(query.q)
    hits = [
        SearchHit(
            by_id[i],
            scores[i],
            highlight(by_id[i].title(query.lang), terms),
            snippet(by_id[i], terms, query.lang),
            explain(by_id[i], clauses, query.lang),
        )
        for i in chosen
        if i in by_id
    ]
    result = SearchResult(query, len(rows), hits)
    if facets:
        counts: dict[str, Counter[Any]] = {
            "city": Counter(map(itemgetter(1), rows)),
            "year": Counter(map(itemgetter(2), rows)),
            "status": Counter(map(itemgetter(3), rows)),
            "tag": Counter(chain.from_iterable(map(str.split, map(itemgetter(4), rows)))),
        }
        counts["year"].pop(None, None)
        result.facets = _facets(
            session,
            {k: [(str(v), n) for v, n in c.items()] for k, c in counts.items()},
            query.lang,
        )
    return result


def _facets(
    session: Session, counts: dict[str, list[tuple[str, int]]], lang: str
) -> dict[str, list[FacetValue]]:
    """Labelled facet values from the raw counts (cities resolved, countries summed)."""
    city_counts = {int(v): n for v, n in counts.get("city", [])}
    cities = {c.id: c for c in session.scalars(select(City).where(City.id.in_(list(city_counts))))}
    countries: Counter[str] = Counter()
    out: dict[str, list[FacetValue]] = {"city": []}
    for city_id, n in city_counts.items():
        city = cities[city_id]
        out["city"].append(FacetValue(city.key, city.name(lang), n))
        countries[country_code(city.country) or city.country] += n
    out["country"] = [FacetValue(c, country_label(c, lang), n) for c, n in countries.items() if c]
    out["year"] = [
        FacetValue(str(int(float(v))), str(int(float(v))), n) for v, n in counts.get("year", [])
    ]
    out["status"] = [FacetValue(v, v, n) for v, n in counts.get("status", [])]
    tags = counts.get("tag", [])
    out["sdg"] = [FacetValue(c, label(c, lang), n) for c, n in tags if kind_of(c) == "sdg"]
    out["theme"] = [FacetValue(c, facet_label(c, lang), n) for c, n in tags if kind_of(c) != "sdg"]
    for values in out.values():
        values.sort(key=lambda v: (-v.count, v.label))
    return out


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
    """For each part of the query, the concept or words it matched and the fields where.

    Checked with substring tests on the lower-cased fields (fast enough for a page of hits;
    the index already decided that the record matches)."""
    if not clauses:
        return []
    th = thesaurus()
    fields = [(name, text.lower()) for name, text in _field_texts(item)]
    out = []
    for clause in clauses:
        for cid in clause.concepts:
            where = tuple(name for name, text in fields if th.present(cid, text))
            if where:
                out.append(Reason(clause.surface, cid, th.concepts[cid].label(lang), where))
                break
        else:
            words = _words(clause)
            where = tuple(name for name, text in fields if any(w in text for w in words))
            if where:
                out.append(Reason(clause.surface, "", "", where))
    return out


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    parts = []
    for t in sorted(terms, key=len, reverse=True):
        parts.append(re.escape(t) if is_cjk(t) else rf"\b{re.escape(t)}\w*")
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def highlight(text: str, terms: list[str]) -> Markup:
    """``text`` escaped, with every query term wrapped in <mark>."""
    pattern = _pattern(terms)
    if pattern is None:
        return escape(text)
    out = Markup("")
    pos = 0
    for m in pattern.finditer(text):
        out += (
            escape(text[pos : m.start()])
            + Markup("<mark>")
            + escape(m.group(0))
            + Markup("</mark>")
        )
        pos = m.end()
    return out + escape(text[pos:])


def snippet(item: Initiative, terms: list[str], lang: str, *, width: int = 220) -> Markup:
    """The first passage (in ``lang`` first, then the other language) where a term occurs."""
    pattern = _pattern(terms)
    order = (lang, "zh" if lang == "en" else "en")
    fallback = ""
    for lg in order:
        for name in BODY_FIELDS:
            value = getattr(item, f"{name}_{lg}")
            text = " ".join(value) if isinstance(value, list) else (value or "")
            if not text:
                continue
            fallback = fallback or text
            m = pattern.search(text) if pattern else None
            if m:
                start = max(0, m.start() - width // 3)
                piece = text[start : start + width]
                prefix = "…" if start else ""
                suffix = "…" if start + width < len(text) else ""
                return escape(prefix) + highlight(piece, terms) + escape(suffix)
    return escape(fallback[:width] + ("…" if len(fallback) > width else ""))
