"""Side-by-side city comparison: profiles, attached assessments and initiatives."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core.errors import InputError, Problem
from rescity.knowledge.adapters.orm import Assessment, City, Event, Initiative, Partner, Programme
from rescity.knowledge.domain.assessment import index_label
from rescity.knowledge.domain.gaps import Gap
from rescity.knowledge.domain.model import Status
from rescity.knowledge.domain.taxonomy import label
from rescity.knowledge.services.recommendations import stored_gaps
from rescity.web.deps import UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)
MAX_CITIES = 5


@dataclass
class Column:
    city: City
    programmes: list[str] = field(default_factory=list)
    profile: Any = None
    assessment: Assessment | None = None
    gaps: list[Gap] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    themes: list[tuple[str, int]] = field(default_factory=list)
    events: int = 0


def columns(session: Session, keys: list[str]) -> list[Column]:
    problems = []
    if not 1 <= len(keys) <= MAX_CITIES:
        problems.append(Problem("cities", f"1 to {MAX_CITIES} city keys, comma-separated"))
    cities = {c.key: c for c in session.scalars(select(City).where(City.key.in_(keys)))}
    problems += [Problem("cities", f"no city {k!r}") for k in keys if k not in cities]
    if problems:
        raise InputError(problems, source="compare")
    events = list(session.scalars(select(Event)))
    out = []
    for key in keys:
        city = cities[key]
        col = Column(city)
        col.programmes = sorted(
            p.key
            for p in session.scalars(
                select(Programme)
                .join(Partner, Partner.programme_id == Programme.id)
                .where(Partner.city_id == city.id)
            )
        )
        col.profile = next((p for p in reversed(city.profiles)), None)
        col.assessment = session.scalar(select(Assessment).where(Assessment.city_id == city.id))
        col.gaps = stored_gaps(col.assessment) if col.assessment else []
        col.initiatives = list(
            session.scalars(
                select(Initiative).where(
                    Initiative.city_id == city.id, Initiative.status == str(Status.PUBLISHED)
                )
            )
        )
        counts: Counter[str] = Counter()
        for item in col.initiatives:
            counts.update(item.tag_codes)
        col.themes = counts.most_common(6)
        col.events = sum(key in (e.participants or []) for e in events)
        out.append(col)
    return out


@router.get("/kb/compare")
def compare_page(page: Page, uow: UoW, cities: str = "") -> Response:
    keys = [k.strip() for k in cities.replace(" ", ",").split(",") if k.strip()]
    cols: list[Column] = []
    problems: list[Problem] = []
    if keys:
        try:
            cols = columns(uow.session, keys)
        except InputError as exc:
            problems = exc.problems
    all_keys = list(uow.session.scalars(select(City.key).order_by(City.key)))
    return page.render(
        "knowledge/compare.html",
        status_code=422 if problems else 200,
        cols=cols,
        problems=problems,
        cities=cities,
        all_keys=all_keys,
        label=label,
        index_label=index_label,
    )
