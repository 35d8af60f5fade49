"""Search over initiatives: full text (zh/en), facets, ranking, highlighting, pagination."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
from markupsafe import Markup
from sqlalchemy import select, text
from sqlalchemy.orm import Session, defer

from rescity.knowledge.adapters.orm import City, Initiative
from rescity.knowledge.adapters.search_cache import CACHE, Snapshot, first_counts, token_column
from rescity.knowledge.adapters.search_index import SearchIndex
from rescity.knowledge.adapters.segmenter import load, parse_query
from rescity.knowledge.domain.countries import country_code, country_label
from rescity.knowledge.domain.model import Status
from rescity.knowledge.domain.taxonomy import facet_label, kind_of, label
from rescity.knowledge.services.search_text import Reason, explain, marker_for, snippet

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


def _mask(snap: Snapshot, query: SearchQuery, statuses: tuple[str, ...] | None) -> Any:
    """The rows the query's filters keep (the same tests as SQL's on the narrow rows)."""
    keep = np.ones(len(snap.ids), np.bool_)
    if statuses is not None:
        keep &= snap.within(snap.status, snap.statuses, statuses)
    if query.status:
        keep &= snap.equal(snap.status, snap.statuses, query.status)
    if query.country:
        country = country_code(query.country) or query.country
        keep &= snap.equal(snap.country, snap.countries, country)
    if query.city:
        keep &= snap.equal(snap.city_key, snap.city_keys, query.city)
    if query.year is not None:
        keep &= snap.has_year & (snap.year == query.year)
    for code in (query.theme, query.sdg):
        if code:
            keep &= snap.has_tag(code)
    return keep


def _matches(index: SearchIndex, query: SearchQuery) -> Any:
    """A statement of every match: (id, score, version token), or None when the query has
    no searchable words."""
    if index.dialect == "postgresql":
        found = index.pg_condition(query.q)
        if found is None:
            return None
        condition, rank = found
        token = token_column(index.dialect)
        return select(index.meta.c.id, rank.label("score"), token).where(condition)
    scored = index.matches(query.q)
    if scored is None:
        return None
    m = scored.subquery("m")
    return select(m.c.id, m.c.score, token_column(index.dialect))


def _rows(session: Session, stmt: Any, postgres: bool) -> list[tuple[Any, ...]]:
    """The statement's rows as the driver's plain tuples: a broad query has thousands, and
    ORM/Core row objects would cost more than the arrays made of them."""
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


def _scored(
    session: Session, index: SearchIndex, query: SearchQuery
) -> tuple[Snapshot, Any, Any] | None:
    """(snapshot, row positions, scores) of every match, unfiltered; None without searchable
    words. The snapshot has the token read with the matches (reloaded when it had another;
    the matches read again if the index changed between the two statements)."""
    key = index.session.get_bind().engine.url.render_as_string(hide_password=True)
    snap = CACHE.get(key)
    for _ in range(5):
        if not query.q.strip():
            token = session.execute(select(token_column(index.dialect))).scalar_one()
        else:
            stmt = _matches(index, query)
            if stmt is None:
                return None
            rows = _rows(session, stmt, index.dialect == "postgresql")
            if not rows:
                empty = np.zeros(0, np.int64)
                return snap or CACHE.load(session, key, index.meta.name), empty, empty
            token = rows[0][2]
        if snap is None or token is None or snap.token != token:
            snap = CACHE.load(session, key, index.meta.name)
        if snap.token == token:
            break
    assert snap is not None
    if not query.q.strip():
        return snap, np.arange(len(snap.ids)), np.where(snap.has_year, snap.year, 0)
    ids = np.fromiter(map(itemgetter(0), rows), np.int64, len(rows))
    scores = np.array([float(r[1] or 0) for r in rows], np.float64)
    pos, found = snap.positions(ids)
    return snap, pos[found], scores[found]


def search(
    session: Session, query: SearchQuery, *, include_unpublished: bool = False, facets: bool = True
) -> SearchResult:
    """Run a search; only published initiatives unless ``include_unpublished``.

    One statement reads every match's id and rank (on SQLite from the FTS5 table, on
    PostgreSQL from one GIN bitmap scan of ``kb_search_pg``) with the index's version token;
    filters, ranking order (score descending, then id), paging and facet counts are done on
    arrays of the index's narrow rows cached for that token (:mod:`search_cache`), and only
    the page's initiatives are loaded.
    """
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    query = SearchQuery(**{**query.__dict__, "per_page": per_page, "page": page})
    statuses = None if include_unpublished else (str(Status.PUBLISHED),)
    index = SearchIndex(session)
    index.ensure()
    scored = _scored(session, index, query)
    if scored is None:
        return SearchResult(query, 0, [], {})
    snap, pos, scores = scored
    keep = _mask(snap, query, statuses)[pos]
    pos, scores = pos[keep], scores[keep]
    order = np.lexsort((snap.ids[pos], -scores))
    pos, scores = pos[order], scores[order]
    page_slice = slice((page - 1) * per_page, page * per_page)
    chosen = list(zip(snap.ids[pos[page_slice]].tolist(), scores[page_slice].tolist(), strict=True))
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
    result = SearchResult(query, len(pos), hits)
    if facets:
        result.facets = _facets(session, _counts(snap, pos), query.lang)
    return result


def _counts(snap: Snapshot, pos: Any) -> dict[str, list[tuple[Any, int]]]:
    """Raw facet counts of the ranked matches (at rows ``pos``), each facet's values in
    order of first appearance (the order in which ties of count and label are listed)."""
    cities, n_city = first_counts(snap.city[pos], int(snap.city.max(initial=0)) + 1)
    statuses, n_status = first_counts(snap.status[pos], len(snap.statuses))
    dated = pos[snap.has_year[pos]]
    years, n_year = first_counts(snap.year[dated], int(snap.year.max(initial=0)) + 1)
    # tags: each distinct set of tags counted, then its tags (in the set's order) added up
    sets, n_set = first_counts(snap.tagset[pos], len(snap.tagsets))
    set_count = np.zeros(len(snap.tagsets), np.int64)
    set_count[sets] = n_set
    set_rank = np.full(len(snap.tagsets), len(pos), np.int64)
    set_rank[sets] = np.arange(len(sets))
    tag_count = np.bincount(
        snap.entry_tag, weights=set_count[snap.entry_set], minlength=len(snap.tags)
    )
    first = np.full(len(snap.tags), np.iinfo(np.int64).max, np.int64)
    width = int(snap.entry_pos.max(initial=0)) + 1
    np.minimum.at(first, snap.entry_tag, set_rank[snap.entry_set] * width + snap.entry_pos)
    tags = np.flatnonzero(tag_count)
    tags = tags[np.argsort(first[tags], kind="stable")]
    return {
        "city": list(zip(cities.tolist(), n_city.tolist(), strict=True)),
        "year": list(zip(years.tolist(), n_year.tolist(), strict=True)),
        "status": [
            (snap.statuses[s], n) for s, n in zip(statuses.tolist(), n_status.tolist(), strict=True)
        ],
        "tag": [(snap.tags[t], int(tag_count[t])) for t in tags.tolist()],
    }


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
