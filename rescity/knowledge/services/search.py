"""Search over initiatives: full text (zh/en), facets, ranking, highlighting, pagination."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from rescity.knowledge.adapters.orm import City, Initiative, InitiativeTag
from rescity.knowledge.adapters.search_index import BODY_FIELDS, SearchIndex
from rescity.knowledge.adapters.segmenter import highlight_terms, is_cjk
from rescity.knowledge.domain.model import Status
from rescity.knowledge.domain.taxonomy import label

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


@dataclass
class SearchHit:
    item: Initiative
    score: float
    title: Markup
    snippet: Markup


@dataclass
class SearchResult:
    query: SearchQuery
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def _filtered(query: SearchQuery, *, statuses: tuple[str, ...] | None) -> Select[Any]:
    stmt = select(Initiative.id).join(City, City.id == Initiative.city_id)
    if statuses is not None:
        stmt = stmt.where(Initiative.status.in_(statuses))
    if query.status:
        stmt = stmt.where(Initiative.status == query.status)
    if query.country:
        stmt = stmt.where(City.country == query.country)
    if query.city:
        stmt = stmt.where(City.key == query.city)
    if query.year is not None:
        stmt = stmt.where(Initiative.year == query.year)
    for code in (query.theme, query.sdg):
        if code:
            stmt = stmt.where(
                Initiative.id.in_(
                    select(InitiativeTag.initiative_id).where(InitiativeTag.code == code)
                )
            )
    return stmt


def search(
    session: Session, query: SearchQuery, *, include_unpublished: bool = False, facets: bool = True
) -> SearchResult:
    """Run a search; only published initiatives unless ``include_unpublished``."""
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    query = SearchQuery(**{**query.__dict__, "per_page": per_page, "page": page})
    statuses = None if include_unpublished else (str(Status.PUBLISHED),)
    base = _filtered(query, statuses=statuses)
    matches = SearchIndex(session).matches(query.q) if query.q.strip() else None
    if query.q.strip() and matches is None:
        return SearchResult(query, 0, [], {})
    if matches is not None:
        m = matches.subquery("m")
        ranked = (
            base.add_columns(m.c.score)
            .join(m, m.c.id == Initiative.id)
            .order_by(m.c.score.desc(), Initiative.id)
        )
        ids_stmt = base.join(m, m.c.id == Initiative.id)
    else:
        ranked = base.add_columns(func.coalesce(Initiative.year, 0).label("score")).order_by(
            Initiative.year.desc().nulls_last(), Initiative.title_en, Initiative.id
        )
        ids_stmt = base
    total = session.scalar(select(func.count()).select_from(ids_stmt.subquery())) or 0
    rows = session.execute(ranked.offset((page - 1) * per_page).limit(per_page)).all()
    by_id = {
        i.id: i
        for i in session.scalars(select(Initiative).where(Initiative.id.in_([r[0] for r in rows])))
    }
    terms = highlight_terms(query.q)
    hits = [
        SearchHit(
            by_id[r[0]],
            float(r[1] or 0),
            highlight(by_id[r[0]].title(query.lang), terms),
            snippet(by_id[r[0]], terms, query.lang),
        )
        for r in rows
        if r[0] in by_id
    ]
    result = SearchResult(query, int(total), hits)
    if facets:
        result.facets = facet_counts(session, ids_stmt, query.lang)
    return result


def facet_counts(session: Session, ids_stmt: Select[Any], lang: str) -> dict[str, list[FacetValue]]:
    ids = ids_stmt.subquery("ids")
    out: dict[str, list[FacetValue]] = {}
    city_rows = session.execute(
        select(City.key, City.name_en, City.name_zh, City.country, func.count())
        .join(Initiative, Initiative.city_id == City.id)
        .join(ids, ids.c.id == Initiative.id)
        .group_by(City.key, City.name_en, City.name_zh, City.country)
    ).all()
    countries: dict[str, int] = {}
    out["city"] = []
    for key, en, zh, country, count in city_rows:
        out["city"].append(FacetValue(key, (zh or en) if lang == "zh" else (en or zh), count))
        countries[country] = countries.get(country, 0) + count
    from rescity.knowledge.domain.gazetteer import country_info

    out["country"] = [
        FacetValue(c, country_info(c).get(lang, c) or c, n) for c, n in countries.items()
    ]
    tag_rows = session.execute(
        select(InitiativeTag.code, InitiativeTag.kind, func.count())
        .join(ids, ids.c.id == InitiativeTag.initiative_id)
        .group_by(InitiativeTag.code, InitiativeTag.kind)
    ).all()
    out["sdg"] = [FacetValue(c, label(c, lang), n) for c, k, n in tag_rows if k == "sdg"]
    out["theme"] = [FacetValue(c, label(c, lang), n) for c, k, n in tag_rows if k != "sdg"]
    out["year"] = [
        FacetValue(str(y), str(y), n)
        for y, n in session.execute(
            select(Initiative.year, func.count())
            .join(ids, ids.c.id == Initiative.id)
            .where(Initiative.year.is_not(None))
            .group_by(Initiative.year)
        ).all()
    ]
    out["status"] = [
        FacetValue(s, s, n)
        for s, n in session.execute(
            select(Initiative.status, func.count())
            .join(ids, ids.c.id == Initiative.id)
            .group_by(Initiative.status)
        ).all()
    ]
    for values in out.values():
        values.sort(key=lambda v: (-v.count, v.label))
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
