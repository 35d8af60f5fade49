"""iCalendar (RFC 5545) text for programme events: all-day events with their own dates.

Pure: events in, text out. Lines end in CRLF and are folded at 75 octets; text values are
escaped (backslash, semicolon, comma, newline). DTEND of an all-day event is the day after
its last day, as the RFC requires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: date
    end: date | None
    summary: str
    description: str = ""
    categories: tuple[str, ...] = field(default_factory=tuple)


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces (UTF-8 characters kept whole)."""
    out: list[str] = []
    current = ""
    size = 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        limit = 75 if not out else 74  # continuation lines start with a space
        if size + n > limit:
            out.append(current)
            current, size = "", 0
        current += ch
        size += n
    out.append(current)
    return "\r\n ".join(out)


def calendar(events: list[CalendarEvent], *, name: str, stamp: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//rescity//knowledge events//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    dtstamp = stamp.strftime("%Y%m%dT%H%M%SZ")
    for ev in events:
        last = ev.end or ev.start
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape(ev.uid)}",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART;VALUE=DATE:{ev.start:%Y%m%d}",
            f"DTEND;VALUE=DATE:{last + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape(ev.summary)}",
        ]
        if ev.description:
            lines.append(f"DESCRIPTION:{escape(ev.description)}")
        if ev.categories:
            lines.append("CATEGORIES:" + ",".join(escape(c) for c in ev.categories))
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
