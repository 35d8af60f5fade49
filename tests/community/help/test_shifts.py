"""Weekly shift slots: the availability rule on hand-made cases (midnight, a zone without
daylight saving and one with it), and the matching's bit sets against the rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from rescity.community.help import shifts
from rescity.community.help.shifts import Slot, available, available_at, parse_slots
from rescity.core.errors import InputError

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def slots(*items: tuple[str, str, str]) -> list[Slot]:
    return parse_slots([{"day": d, "start": s, "end": e} for d, s, e in items])


def local(tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


FRIDAY_NIGHT = slots(("fri", "22:00", "02:00"))  # 2026-03-06 is a Friday


@pytest.mark.parametrize(
    ("at", "covered"),
    [
        (local(SH, 2026, 3, 6, 21, 59), False),
        (local(SH, 2026, 3, 6, 22, 0), True),
        (local(SH, 2026, 3, 6, 23, 59), True),
        (local(SH, 2026, 3, 7, 0, 0), True),     # Saturday, after midnight
        (local(SH, 2026, 3, 7, 1, 59), True),
        (local(SH, 2026, 3, 7, 2, 0), False),    # the end is exclusive
        (local(SH, 2026, 3, 5, 23, 0), False),   # Thursday night: not a Friday slot
        (local(SH, 2026, 3, 13, 23, 0), True),   # every week
    ],
)
def test_a_slot_crossing_midnight_covers_the_early_hours_of_the_next_day(
    at: datetime, covered: bool,
) -> None:
    assert available_at(FRIDAY_NIGHT, at, SH) is covered


def test_a_sunday_night_slot_wraps_into_monday_morning() -> None:
    s = slots(("sun", "23:00", "01:00"))
    assert available_at(s, local(SH, 2026, 3, 2, 0, 30), SH)      # Monday 00:30
    assert not available_at(s, local(SH, 2026, 3, 2, 1, 0), SH)
    assert available_at(s, local(SH, 2026, 3, 8, 23, 15), SH)     # Sunday 23:15


def test_a_window_needs_only_to_overlap_a_slot() -> None:
    s = slots(("mon", "09:00", "12:00"))
    assert available(s, local(SH, 2026, 3, 2, 11, 45), local(SH, 2026, 3, 2, 14, 0), SH)
    assert not available(s, local(SH, 2026, 3, 2, 12, 0), local(SH, 2026, 3, 2, 14, 0), SH)
    assert not available(s, local(SH, 2026, 3, 2, 7, 0), local(SH, 2026, 3, 2, 9, 0), SH)
    # a window given in UTC is read in the deployment's zone: 01:30Z is 09:30 in Shanghai
    assert available(s, datetime(2026, 3, 2, 1, 30, tzinfo=UTC),
                     datetime(2026, 3, 2, 1, 45, tzinfo=UTC), SH)
    # a window of a week or more meets every slot
    assert available(s, local(SH, 2026, 3, 3, 0, 0), local(SH, 2026, 3, 10, 0, 0), SH)


def test_no_slots_means_any_time_and_a_whole_day_slot_ends_at_24() -> None:
    assert available_at([], local(SH, 2026, 3, 4, 3, 0), SH)
    whole = slots(("wed", "00:00", "24:00"))
    assert available_at(whole, local(SH, 2026, 3, 4, 23, 59), SH)
    assert not available_at(whole, local(SH, 2026, 3, 5, 0, 0), SH)


def test_berlin_slots_follow_the_wall_clock_across_summer_and_winter_time() -> None:
    s = slots(("mon", "09:00", "10:00"))
    # winter (CET, UTC+1): 09:00 is 08:00Z; summer (CEST, UTC+2): 07:00Z
    assert available_at(s, datetime(2026, 3, 23, 8, 30, tzinfo=UTC), BERLIN)
    assert not available_at(s, datetime(2026, 3, 23, 7, 30, tzinfo=UTC), BERLIN)
    assert available_at(s, datetime(2026, 3, 30, 7, 30, tzinfo=UTC), BERLIN)
    assert not available_at(s, datetime(2026, 3, 30, 8, 30, tzinfo=UTC), BERLIN)


def test_on_the_night_clocks_go_forward_the_skipped_hour_never_happens() -> None:
    # 2026-03-29: 02:00 CET becomes 03:00 CEST (at 01:00Z); 02:00–03:00 does not exist
    gap = slots(("sun", "02:00", "03:00"))
    day = (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 22, 0, tzinfo=UTC))
    assert not available(gap, *day, BERLIN)
    assert available(gap, day[0] - timedelta(days=7), day[1] - timedelta(days=7), BERLIN)
    # a night slot across the gap still covers the real hours on either side of it
    night = slots(("sat", "23:00", "04:00"))
    assert available_at(night, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), BERLIN)  # 01:30 CET
    assert available_at(night, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), BERLIN)  # 03:30 CEST
    assert not available_at(night, datetime(2026, 3, 29, 2, 0, tzinfo=UTC), BERLIN)  # 04:00


def test_on_the_night_clocks_go_back_the_repeated_hour_is_covered_twice() -> None:
    # 2026-10-25: 03:00 CEST becomes 02:00 CET (at 01:00Z); 02:00–03:00 happens twice
    twice = slots(("sun", "02:00", "03:00"))
    assert not available_at(twice, datetime(2026, 10, 24, 23, 59, tzinfo=UTC), BERLIN)
    assert available_at(twice, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), BERLIN)  # CEST
    assert available_at(twice, datetime(2026, 10, 25, 1, 30, tzinfo=UTC), BERLIN)  # CET
    assert not available_at(twice, datetime(2026, 10, 25, 2, 0, tzinfo=UTC), BERLIN)


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ([{"day": "someday", "start": "09:00", "end": "10:00"}], "slots[0].day"),
        ([{"day": "mon", "start": "9:00", "end": "10:00"}], "slots[0].start"),
        ([{"day": "mon", "start": "09:10", "end": "10:00"}], "slots[0].start"),  # not a quarter
        ([{"day": "mon", "start": "09:00", "end": "24:15"}], "slots[0].end"),
        ([{"day": "mon", "start": "24:00", "end": "02:00"}], "slots[0].start"),
        ([{"day": "mon", "start": "09:00", "end": "09:00"}], "slots[0]"),
        ([{"day": "mon", "start": "09:00"}], "slots[0].end"),
        ([{"day": "mon", "start": "09:00", "end": "10:00", "x": 1}], "slots[0]"),
        ("mon 9-10", "slots"),
    ],
)
def test_bad_slots_are_refused_naming_the_item(raw: object, where: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_slots(raw)
    assert where in [p.where for p in exc.value.problems]


def test_slots_are_kept_sorted_without_duplicates_and_round_trip() -> None:
    raw = [{"day": "tue", "start": "18:30", "end": "21:00"},
           {"day": "mon", "start": "22:00", "end": "00:00"},
           {"day": "tue", "start": "18:30", "end": "21:00"}]
    got = parse_slots(raw)
    assert [s.as_dict() for s in got] == [raw[1], raw[0]]
    assert got[0].minutes == 120


def _covers(words: np.ndarray, other: np.ndarray) -> bool:
    return bool((words & other).any())


@pytest.mark.parametrize("zone", [SH, BERLIN, ZoneInfo("America/St_Johns")])
def test_the_matchings_bit_sets_agree_with_the_rule(zone: ZoneInfo) -> None:
    rng = np.random.default_rng(7)
    days = list(shifts.DAYS)
    base = datetime(2026, 3, 20, tzinfo=UTC)  # spans the March change in Berlin and St John's
    for _ in range(300):
        n = int(rng.integers(1, 4))
        raw = []
        for _ in range(n):
            start = int(rng.integers(0, 96)) * 15
            end = int(rng.integers(1, 97)) * 15
            if end == start:
                end = (start + 15) % 1440 or 1440
            raw.append({"day": days[int(rng.integers(0, 7))],
                        "start": f"{start // 60:02d}:{start % 60:02d}",
                        "end": f"{end // 60:02d}:{end % 60:02d}"})
        s = parse_slots(raw)
        w0 = base + timedelta(minutes=int(rng.integers(0, 14 * 24 * 60)))
        w1 = w0 + timedelta(minutes=int(rng.integers(1, 36 * 60)))
        assert _covers(shifts.slot_cells(s), shifts.window_cells(w0, w1, zone)) \
            == available(s, w0, w1, zone), (raw, w0, w1)
