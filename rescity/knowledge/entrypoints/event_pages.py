"""Events: a calendar page by month and an iCalendar feed, with the events' own dates."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.knowledge.adapters.orm import City, Event, Programme
from rescity.knowledge.domain.ical import CalendarEvent, calendar
from rescity.web.deps import UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


def events_of(session: Session, *, programme: str = "", city: str = "") -> list[Event]:
    """Dated events, oldest first, optionally of one programme or with one participant."""
    query = select(Event).where(Event.date.is_not(None)).order_by(Event.date, Event.key)
    if programme:
        query = query.join(Programme, Programme.id == Event.programme_id).where(
            Programme.key == programme
        )
    rows = list(session.scalars(query))
    return [e for e in rows if not city or city in (e.participants or [])]


@router.get("/kb/events")
def events_page(page: Page, uow: UoW, programme: str = "", city: str = "") -> Response:
    session = uow.session
    rows = events_of(session, programme=programme, city=city)
    months: dict[str, list[Event]] = {}
    for ev in reversed(rows):
        months.setdefault(f"{ev.date:%Y-%m}", []).append(ev)
    names = {c.key: c.name(page.lang) for c in session.scalars(select(City))}
    programmes = {p.id: p for p in session.scalars(select(Programme))}
    return page.render(
        "knowledge/events.html",
        months=months,
        names=names,
        programmes=programmes,
        programme=programme,
        city=city,
    )


@router.get("/kb/events.ics")
def events_ics(uow: UoW, programme: str = "", city: str = "") -> Response:
    session = uow.session
    names = {c.key: c.name_en or c.name_zh for c in session.scalars(select(City))}
    items = [
        CalendarEvent(
            uid=f"{ev.key}@rescity",
            start=ev.date,
            end=ev.end_date,
            summary=ev.title,
            description="\n".join(
                part
                for part in (
                    ", ".join(names.get(k, k) for k in ev.participants or []),
                    ev.date_note and f"Dates: {ev.date_note}",
                    ev.outputs[:500],
                    f"Source: {ev.source}",
                )
                if part
            ),
            categories=(ev.type,),
        )
        for ev in events_of(session, programme=programme, city=city)
        if ev.date is not None
    ]
    text = calendar(items, name="rescity events", stamp=datetime.now(UTC))
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="rescity-events.ics"'},
    )
