"""Dated events of the IURC China news page: workshops, meetings, the annual conference.

Each news item is a headline followed by a paragraph. The event's date is the first date in
the paragraph ("2022年3月4日", "11月8日,2022年", "北京时间4月29日", "2021年4月至10月"). The
page lists items newest first, so a date without a year gets the only year that keeps it
between its dated neighbours; when no single year fits, the item is reported, not guessed.
Participants are the partner cities the paragraph names; themes come from the tagging rules.
"""

from __future__ import annotations

import calendar
import difflib
import itertools
import re
from dataclasses import dataclass
from datetime import date

from rescity.knowledge.adapters.importers.text_lines import Line
from rescity.knowledge.domain.model import EventData, ImportResult
from rescity.knowledge.domain.taxonomy import auto_tags

_YMD = re.compile(r"(?:(?P<y>(?:19|20)\d\d)\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_YEAR_AFTER = re.compile(r"^\s*[,，]?\s*(?P<y>(?:19|20)\d\d)\s*年")
_MONTHS = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*年\s*(?P<m1>\d{1,2})\s*月\s*(?:至|到|-|–)\s*(?P<m2>\d{1,2})\s*月"
)
TYPES = (
    ("研讨会", "workshop"),
    ("年会", "conference"),
    ("交流会", "meeting"),
    ("博览会", "expo"),
    ("世园会", "expo"),
    ("论坛", "forum"),
)
HEAD_MAX = 90  # a headline is a short line; the paragraph after it is the item's text


@dataclass
class _Item:
    head: Line
    body: Line
    start: date | None = None
    end: date | None = None
    month: int | None = None
    day: int | None = None
    note: str = ""


def _read_date(item: _Item) -> None:
    text = item.body.text[:120]
    months = _MONTHS.search(text)
    ymd = _YMD.search(text)
    if months and (ymd is None or months.start() <= ymd.start()):
        y, m1, m2 = int(months["y"]), int(months["m1"]), int(months["m2"])
        if 1 <= m1 <= m2 <= 12:
            item.start = date(y, m1, 1)
            item.end = date(y, m2, calendar.monthrange(y, m2)[1])
            item.note = "months only"
        return
    if ymd is None:
        return
    m, d = int(ymd["m"]), int(ymd["d"])
    year = ymd["y"]
    after = _YEAR_AFTER.match(text[ymd.end() :])
    if year is None and after is not None:
        year = after["y"]
    try:
        if year is not None:
            item.start = date(int(year), m, d)
        else:
            date(2000, m, d)  # a valid month and day (2000 is a leap year)
            item.month, item.day = m, d
    except ValueError:
        item.note = f"invalid date {ymd[0]!r}"


def _infer_years(items: list[_Item], result: ImportResult) -> None:
    """Newest first: a yearless date takes the one year that fits between dated neighbours."""
    for i, item in enumerate(items):
        if item.start is not None or item.month is None or item.day is None:
            continue
        newer = next((x.start for x in reversed(items[:i]) if x.start), None)
        older = next((x.start for x in items[i + 1 :] if x.start), None)
        if newer is None or older is None:
            result.warn(item.body.number, "event date", "no year and no dated neighbours")
            continue
        fits = []
        for year in range(older.year, newer.year + 1):
            try:
                when = date(year, item.month, item.day)
            except ValueError:
                continue
            if older <= when <= newer:
                fits.append(when)
        if len(fits) == 1:
            item.start = fits[0]
            item.note = "year inferred from the page order"
        else:
            result.warn(
                item.body.number,
                "event date",
                f"{item.month}月{item.day}日 has no year and {len(fits)} years fit the page order",
            )


def _same_event(a: _Item, b: _Item) -> bool:
    """Two news items on one event: the same date and a long shared stretch of headline."""
    if a.start != b.start:
        return False
    m = difflib.SequenceMatcher(None, a.head.text, b.head.text).find_longest_match()
    return m.size >= 6


def parse_events(
    lines: list[Line], names: dict[str, tuple[str, str]], result: ImportResult
) -> list[EventData]:
    """The page's dated events; ``names`` maps surface names to partner city keys."""
    content = [ln for ln in lines if ln.text.strip()]
    items: list[_Item] = []
    for prev, line in itertools.pairwise(content):
        if len(prev.text.strip()) <= HEAD_MAX < len(line.text.strip()):
            item = _Item(prev, line)
            _read_date(item)
            if item.note.startswith("invalid"):
                result.warn(line.number, "event date", item.note)
            items.append(item)
    _infer_years(items, result)
    ordered = sorted(names, key=len, reverse=True)
    events: list[EventData] = []
    kept: list[_Item] = []
    for item in items:
        if item.start is None:
            if item.month is None:
                result.warn(
                    item.body.number, "event", f"no date in {item.head.text.strip()[:40]!r}"
                )
            continue
        if any(_same_event(item, k) for k in kept):
            continue
        kept.append(item)
        text = item.body.text.replace("北京时间", "")  # "Beijing time" names no participant
        found: set[str] = set()
        for name in ordered:
            if name in text:
                found.add(names[name][0])
                text = text.replace(name, "　")
        head = item.head.text.strip()
        opening = head + item.body.text[:200]
        kind = next((t for word, t in TYPES if word in opening), "news")
        events.append(
            EventData(
                key=f"iurc-{item.start.isoformat()}-{abs(hash_text(head)) % 10**8:08d}",
                type=kind,
                date=item.start.isoformat(),
                end_date=item.end.isoformat() if item.end else "",
                date_note=item.note,
                title=head,
                participants=sorted(found),
                outputs=item.body.text.strip()[:600],
                source_line=item.head.number,
                themes=auto_tags(head + "\n" + item.body.text),
            )
        )
    return events


def hash_text(text: str) -> int:
    """A stable number for a headline (Python's hash() changes between runs)."""
    n = 0
    for ch in text:
        n = (n * 131 + ord(ch)) % 2**61
    return n
