"""A volunteer's shifts: recurring weekly slots in the deployment's local time, and whether a
volunteer is available during a request's window (or at the moment it is matched).

A slot is a day of the week with a start and an end in quarter hours, in wall-clock time of
the deployment's time zone (``community_timezone``): ``{"day": "fri", "start": "22:00",
"end": "02:00"}`` runs from Friday 22:00 to Saturday 02:00 (an end at or before the start
crosses midnight; ``"24:00"`` is the end of the day). A volunteer with no slots is available
at any time.

Availability is a question about wall clocks: an instant is covered when the local time it
shows falls inside a slot. A window is cut at the zone's offset changes (daylight saving) into
pieces in which local time runs like real time, and each piece is compared with the slots'
occurrences on the days around it. So on the night clocks go back (Europe/Berlin, last Sunday
of October) a slot 02:00–03:00 covers both real hours that show those times, and on the night
they go forward it covers none, because 02:00–03:00 does not happen.

The matching kernel compares weeks as bit sets of quarter-hour *cells* (672 a week):
:func:`slot_cells` and :func:`window_cells` give the same answer as :func:`available` because
slots start and end on cell boundaries (a test checks this on random cases).

Pure functions; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rescity.core.errors import InputError, Problem

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STEP = 15  # minutes: slot times are whole quarter hours
DAY_MIN = 24 * 60
WEEK_MIN = 7 * DAY_MIN
CELLS = WEEK_MIN // STEP  # 672 quarter hours a week
WORDS = (CELLS + 63) // 64
MAX_SLOTS = 28
NOW = timedelta(minutes=1)  # "available now": the minute the request is matched in


@dataclass(frozen=True, order=True)
class Slot:
    day: int    # 0 = Monday
    start: int  # minutes after midnight, 0..1425
    end: int    # minutes after midnight, 15..1440; ≤ start: the slot ends the next day

    @property
    def minutes(self) -> int:
        return self.end - self.start if self.end > self.start else self.end + DAY_MIN - self.start

    def as_dict(self) -> dict[str, str]:
        return {"day": DAYS[self.day], "start": _hhmm(self.start), "end": _hhmm(self.end)}


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(value: Any, *, end: bool) -> int | None:
    """"HH:MM" → minutes after midnight; ``None`` unless a whole quarter hour of the day."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return None
    hh, mm = value[:2], value[3:]
    if not (hh.isdigit() and mm.isdigit()):
        return None
    minutes = int(hh) * 60 + int(mm)
    limit = DAY_MIN if end else DAY_MIN - STEP
    if int(mm) >= 60 or minutes > limit or minutes % STEP:
        return None
    return minutes


def parse_slots(raw: Any, *, where: str = "slots") -> list[Slot]:
    """Slots as sent (a list of ``{"day", "start", "end"}``), checked all at once: every
    problem names its item (``slots[2].end``). Duplicates are dropped; the result is sorted."""
    if not isinstance(raw, list):
        raise InputError([Problem(where, "a list of {day, start, end}")], source="shifts")
    problems: list[Problem] = []
    if len(raw) > MAX_SLOTS:
        problems.append(Problem(where, f"at most {MAX_SLOTS} slots a week"))
    out: set[Slot] = set()
    for i, item in enumerate(raw[:MAX_SLOTS]):
        at = f"{where}[{i}]"
        if not isinstance(item, dict) or set(item) - {"day", "start", "end"}:
            problems.append(Problem(at, "an object with day, start and end"))
            continue
        day = item.get("day")
        start = _minutes(item.get("start"), end=False)
        stop = _minutes(item.get("end"), end=True)
        bad = False
        if day not in DAYS:
            problems.append(Problem(f"{at}.day", f"one of {', '.join(DAYS)}"))
            bad = True
        if start is None:
            problems.append(Problem(f"{at}.start", "a time HH:MM in quarter hours, 00:00–23:45"))
            bad = True
        if stop is None:
            problems.append(Problem(f"{at}.end", "a time HH:MM in quarter hours, 00:15–24:00"))
            bad = True
        if bad:
            continue
        assert start is not None and stop is not None
        if stop == start:
            problems.append(Problem(at, "start and end must differ (00:00–24:00 is a whole day)"))
            continue
        out.add(Slot(DAYS.index(str(day)), start, stop))
    if problems:
        raise InputError(problems, source="shifts")
    return sorted(out)


def slots_from_hours(spec: dict[str, Any]) -> list[dict[str, str]]:
    """The older ``availability`` form ``{"mon": [[9, 12]]}`` (whole hours) as slots."""
    out = []
    for day, ranges in spec.items():
        for start, end in ranges:
            out.append({"day": day, "start": _hhmm(int(start) * 60), "end": _hhmm(int(end) * 60)})
    return out


def load_slots(stored: list[dict[str, str]] | None) -> list[Slot]:
    """Slots as stored (already checked when written)."""
    return parse_slots(list(stored or []))


# --- The rule ---------------------------------------------------------------------------


def _offset(t: datetime, tz: tzinfo) -> timedelta:
    off = t.astimezone(tz).utcoffset()
    return off if off is not None else timedelta(0)


def wall_pieces(start: datetime, end: datetime, tz: tzinfo) -> Iterator[tuple[datetime, datetime]]:
    """The real window ``[start, end)`` as local wall-clock intervals (naive datetimes), cut
    where the zone's offset changes, so that inside each piece wall time runs like real time.
    """
    if end <= start:
        return
    stack = [(start.astimezone(UTC), end.astimezone(UTC))]
    while stack:
        a, b = stack.pop()
        off_a, off_b = _offset(a, tz), _offset(b - timedelta(seconds=1), tz)
        if off_a == off_b or b - a <= timedelta(seconds=1):
            yield (a + off_a).replace(tzinfo=None), (b + off_a).replace(tzinfo=None)
            continue
        mid = a + (b - a) / 2
        mid = mid.replace(microsecond=0)
        if mid <= a:
            mid = a + timedelta(seconds=1)
        stack.append((mid, b))  # popped after the first half: pieces come out in order
        stack.append((a, mid))


def occurrences(slots: Iterable[Slot], first: date, last: date
                ) -> Iterator[tuple[datetime, datetime]]:
    """Each slot's wall-clock occurrences that start on a day from ``first`` to ``last``."""
    slots = list(slots)
    d = first
    while d <= last:
        for s in slots:
            if s.day == d.weekday():
                begin = datetime.combine(d, time()) + timedelta(minutes=s.start)
                yield begin, begin + timedelta(minutes=s.minutes)
        d += timedelta(days=1)


def available(slots: list[Slot], start: datetime, end: datetime, tz: tzinfo) -> bool:
    """Does some slot cover part of the real window ``[start, end)``? With no slots: yes."""
    if not slots:
        return True
    for ws, we in wall_pieces(start, end, tz):
        if we - ws >= timedelta(days=7):
            return True
        for os_, oe in occurrences(slots, ws.date() - timedelta(days=1), we.date()):
            if os_ < we and ws < oe:
                return True
    return False


def available_at(slots: list[Slot], at: datetime, tz: tzinfo) -> bool:
    """Available at the minute ``at`` (a request with no window, matched now)."""
    return available(slots, at, at + NOW, tz)


def needed_window(window_start: datetime | None, window_end: datetime | None, now: datetime
                  ) -> tuple[datetime, datetime]:
    """When a request needs its volunteer: its window, or the minute it is matched in."""
    if window_start is not None and window_end is not None:
        return window_start, window_end
    return now, now + NOW


# --- The same rule as bit sets, for the vectorised matching -----------------------------


def _pack(cells: Iterable[int]) -> NDArray[np.uint64]:
    words = np.zeros(WORDS, dtype=np.uint64)
    for c in cells:
        words[c // 64] |= np.uint64(1) << np.uint64(c % 64)
    return words


def slot_cells(slots: list[Slot]) -> NDArray[np.uint64]:
    """The quarter hours of the week the slots cover (all of them when there are none)."""
    if not slots:
        return _pack(range(CELLS))
    cells: set[int] = set()
    for s in slots:
        first = (s.day * DAY_MIN + s.start) // STEP
        cells.update(c % CELLS for c in range(first, first + s.minutes // STEP))
    return _pack(cells)


def window_cells(start: datetime, end: datetime, tz: tzinfo) -> NDArray[np.uint64]:
    """The quarter hours of the week (local wall time) the real window touches."""
    cells: set[int] = set()
    for ws, we in wall_pieces(start, end, tz):
        if we - ws >= timedelta(days=7):
            return _pack(range(CELLS))
        base = ws.weekday() * DAY_MIN + ws.hour * 60 + ws.minute + ws.second / 60
        length = (we - ws).total_seconds() / 60
        first = int(base // STEP)
        last = int(-(-(base + length) // STEP))  # ceiling: the cell holding the last instant
        cells.update(c % CELLS for c in range(first, last))
    return _pack(cells)
