"""Search over initiatives: full text (zh/en), facets, ranking, highlighting, pagination."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, TypeVar

from markupsafe import Markup
from sqlalchemy import (
    Select,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session, defer

from rescity.knowledge.adapters.orm import City, Initiative
from rescity.knowledge.adapters.search_index import SearchIndex
from rescity.knowledge.adapters.segmenter import load, parse_query
from rescity.knowledge.domain.countries import country_code, country_label
from rescity.knowledge.domain.model import Status
from rescity.knowledge.domain.taxonomy import facet_label, kind_of, label
from rescity.knowledge.services.search_text import Reason, explain, marker_for, snippet

_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])
FACETS = ("country", "city", "theme", "sdg", "year", "status")
MAX_PER_PAGE = 100
# Columns a hit never shows (read from the database only if something asks for them)
_UNSHOWN = (
    defer(Initiative.figures),
    defer(Initiative.sheet),
    defer(Initiative.pending_content),
)


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


def warm_up() -> None:
    """Load what the first search would (jieba's dictionary, the thesaurus: ~60 MB that
    live as long as the process), so that the first search does not wait a second for them
    and a server freezes them with the rest of its start-up heap (``gc.freeze``)."""
    load()


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


def _matches(index: SearchIndex, query: SearchQuery, statuses: tuple[str, ...] | None) -> Any:
    """A statement of every filtered match: (id, city, year, status, tags, score), or None
    when the query has no searchable words. Without words, the score is the year (newest
    first)."""
    meta = index.meta
    columns = (meta.c.id, meta.c.city_id, meta.c.year, meta.c.status, meta.c.tag_text)
    if not query.q.strip():
        stmt = select(*columns, func.coalesce(meta.c.year, 0).label("score"))
    elif index.dialect == "postgresql":
        found = index.pg_condition(query.q)
        if found is None:
            return None
        condition, rank = found
        stmt = select(*columns, rank.label("score")).where(condition)
    else:
        scored = index.matches(query.q)
        if scored is None:
            return None
        m = scored.cte("m").prefix_with("MATERIALIZED")
        stmt = select(*columns, m.c.score).select_from(m).join(meta, meta.c.id == m.c.id)
    return _filters(stmt, meta, query, statuses)


def _rows(session: Session, stmt: Any, postgres: bool) -> list[tuple[Any, ...]]:
    """The statement's rows as the driver's plain tuples: a broad query has thousands, and
    ORM/Core row objects would cost more than the counting done on them."""
    mode = None
    if postgres:
        # The planner's cost model misses that a sequential scan must decompress every row's
        # tsvector to test it; the GIN bitmap scan reads only the matching rows. And a plan
        # made for the query's own tsquery: the driver prepares a statement run five times,
        # and PostgreSQL's generic plan for it (after five more) parses the tsquery again
        # for every match it ranks (four times slower for "housing").
        mode = session.execute(
            text(
                "SELECT current_setting('plan_cache_mode'),"
                " set_config('enable_seqscan', 'off', true),"
                " set_config('plan_cache_mode', 'force_custom_plan', true)"
            )
        ).scalar_one()
    rows: list[tuple[Any, ...]] = session.execute(stmt).cursor.fetchall()  # type: ignore[attr-defined]
    if postgres:
        session.execute(
            text(
                "SELECT set_config('enable_seqscan', 'on', true),"
                " set_config('plan_cache_mode', :mode, true)"
            ),
            {"mode": mode},
        )
    return rows


def search(
    session: Session, query: SearchQuery, *, include_unpublished: bool = False, facets: bool = True
) -> SearchResult:
    """Run a search; only published initiatives unless ``include_unpublished``.

    One statement reads every match from the index's narrow rows (never the wide initiative
    rows): id, rank, city, year, status and tags — on SQLite the FTS5 table read once in a
    materialised CTE (so that the planner cannot re-run it per row), on PostgreSQL one GIN
    bitmap scan of ``kb_search_pg``. Ranking order, paging and facet counts are done on the
    driver's tuples, and only the page's initiatives are loaded.
    """
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    query = SearchQuery(**{**query.__dict__, "per_page": per_page, "page": page})
    statuses = None if include_unpublished else (str(Status.PUBLISHED),)
    index = SearchIndex(session)
    index.ensure()
    stmt = _matches(index, query, statuses)
    if stmt is None:
        return SearchResult(query, 0, [], {})
    rows = _rows(session, stmt, index.dialect == "postgresql" and bool(query.q.strip()))
    # id ascending, then (stable) score descending: C-level sorts, deterministic ties
    rows.sort(key=itemgetter(0))
    rows.sort(key=itemgetter(5), reverse=True)
    chosen = [(int(r[0]), float(r[5] or 0)) for r in rows[(page - 1) * per_page : page * per_page]]
    ids = [i for i, _ in chosen]
    page_items = select(Initiative).where(Initiative.id.in_(ids)).options(*_UNSHOWN)
    by_id = {i.id: i for i in session.scalars(page_items)}
    marker = marker_for(query.q)
    clauses = parse_query(query.q)
    hits = [
        SearchHit(
            by_id[i],
            score,
            marker.highlight(by_id[i].title(query.lang)),
            snippet(by_id[i], marker, query.lang),
            explain(by_id[i], clauses, query.lang),
        )
        for i, score in chosen
        if i in by_id
    ]
    result = SearchResult(query, len(rows), hits)
    if facets:
        tags: Counter[str] = Counter()
        for tag_text, n in Counter(map(itemgetter(4), rows)).items():  # each set of tags once
            for code in tag_text.split():
                tags[code] += n
        years = Counter(map(itemgetter(2), rows))
        years.pop(None, None)
        result.facets = _facets(
            session,
            {
                "city": list(Counter(map(itemgetter(1), rows)).items()),
                "year": list(years.items()),
                "status": list(Counter(map(itemgetter(3), rows)).items()),
                "tag": list(tags.items()),
            },
            query.lang,
        )
    return result


def _facets(
    session: Session, counts: dict[str, list[tuple[Any, int]]], lang: str
) -> dict[str, list[FacetValue]]:
    """Labelled facet values from the raw counts (cities resolved, countries summed)."""
    city_counts = {int(v): n for v, n in counts.get("city", [])}
    columns = (City.id, City.key, City.name_en, City.name_zh, City.country)
    cities = {r[0]: r for r in session.execute(select(*columns).where(City.id.in_(city_counts)))}
    countries: Counter[str] = Counter()
    out: dict[str, list[FacetValue]] = {"city": []}
    for city_id, n in city_counts.items():
        _, key, name_en, name_zh, country = cities[city_id]
        name = (name_zh or name_en) if lang == "zh" else (name_en or name_zh)
        out["city"].append(FacetValue(key, name, n))
        countries[country_code(country) or country] += n
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
