"""Pure rules of work orders: the data table, deadlines, escalation, duplicates, scoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rescity.community.cases import domain as wo
from rescity.community.cases import scoring as cs
from rescity.core.errors import DataFileError, InputError

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
LEVELS = wo.service_levels()


@pytest.mark.parametrize(
    ("code", "hours"),
    [("emergency_repair", 2), ("utility_outage", 24), ("waste", 168),
     ("illegal_construction", 360)],
)
def test_the_deadline_comes_from_the_types_service_level(code: str, hours: int) -> None:
    assert wo.deadline(LEVELS.case_type(code), T0) == T0 + timedelta(hours=hours)


@pytest.mark.parametrize(
    ("late_hours", "expected"),
    [(-0.1, 0), (0, 1), (0.99, 1), (1, 2), (1.5, 2), (2, 3), (50, 3)],
)
def test_escalation_rises_one_level_per_period_after_the_deadline_up_to_the_maximum(
    late_hours: float, expected: int
) -> None:
    level = LEVELS.levels["emergency"]  # every 1 h, max 3
    now = T0 + timedelta(hours=late_hours)
    assert wo.due_escalation(level, T0, now, max_level=LEVELS.max_escalation) == expected


def spot(case_id: int, *, minutes: float = 0, lat: float | None = 31.2, lon: float | None = 121.4,
         code: str = "waste", address: str = "") -> wo.Spot:
    return wo.Spot(case_id, code, T0 + timedelta(minutes=minutes), lat, lon, address)


@pytest.mark.parametrize(
    ("other", "duplicate"),
    [
        (spot(2, lat=31.2005), True),                    # ~56 m away
        (spot(2, lat=31.2015), False),                   # ~167 m away
        (spot(2, code="noise"), False),                  # another type
        (spot(2, minutes=47 * 60), True),                # within 48 h
        (spot(2, minutes=49 * 60), False),               # too late
        (spot(2, lat=None, lon=None, address="1 Road"), False),
    ],
)
def test_a_duplicate_is_the_same_type_near_in_space_and_time(
    other: wo.Spot, duplicate: bool
) -> None:
    assert wo.is_duplicate(other, spot(1), radius_m=100, window=timedelta(hours=48)) is duplicate


def test_without_coordinates_the_same_address_text_is_a_duplicate() -> None:
    a = spot(1, lat=None, lon=None, address="Building 3, Unit 2")
    b = spot(2, lat=None, lon=None, address="building 3,  unit 2")
    assert wo.is_duplicate(b, a, radius_m=100, window=timedelta(hours=48))


def test_the_earliest_matching_case_is_the_one_to_merge_into() -> None:
    new = spot(9, minutes=60)
    found = wo.best_duplicate(new, [spot(5, minutes=30), spot(3, minutes=10), spot(4, lat=40)],
                              radius_m=100, window=timedelta(hours=48))
    assert found == 3


def test_haversine_distance_matches_a_hand_computed_value() -> None:
    # One degree of latitude is about 111.2 km.
    assert wo.distance_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-3)


def test_attributes_are_checked_against_the_service_definition() -> None:
    t = LEVELS.case_type("utility_outage")
    assert wo.validate_attributes(t, {"utility": "water", "households": "12"}) == {
        "utility": "water", "households": 12.0,
    }
    with pytest.raises(InputError) as err:
        wo.validate_attributes(t, {"utility": "wind", "households": "many", "color": "x"})
    where = {p.where for p in err.value.problems}
    assert where == {"attribute[utility]", "attribute[households]", "attribute[color]"}
    with pytest.raises(InputError):
        wo.validate_attributes(t, {})  # utility is required


def test_a_malformed_service_level_table_names_the_wrong_entry() -> None:
    text = (
        '[levels.general]\nhours = 1\nescalate_every_hours = 1\n'
        '[escalation]\nmax_level = 1\nalert_kind = "x"\n[dispatch]\nauto = true\n'
        '[duplicates]\nradius_m = 1\nwindow_hours = 1\n[closure]\nreopen_window_days = 1\n'
        '[scoring]\nstart_points = 12\nlow_rating = 2\n[scoring.deductions]\noverdue = 1\n'
        '[[types]]\ncode = "x"\nlevel = "urgent"\nhandler = "department"\n'
        'name_zh = "x"\nname_en = "x"\n'
    )
    with pytest.raises(DataFileError, match=r"types\]\] #1 \(x\): unknown level 'urgent'"):
        wo.parse(text, source="levels.toml")
    with pytest.raises(DataFileError, match="not valid TOML"):
        wo.parse("[levels", source="levels.toml")


def test_open311_knows_only_open_and_closed() -> None:
    assert [wo.open311_status(s) for s in wo.CaseStatus] == [
        "open", "open", "open", "closed", "closed", "closed"]


SH = ZoneInfo("Asia/Shanghai")


def test_the_monthly_score_counts_still_open_overdue_cases_as_late() -> None:
    march = datetime(2026, 3, 10, tzinfo=SH)
    now = datetime(2026, 3, 20, tzinfo=SH)
    h = 7
    cases = [
        cs.CaseFacts(1, h, "closed", march, march - timedelta(hours=1), 0, 5),   # on time
        cs.CaseFacts(2, h, "resolved", march, march + timedelta(hours=1), 1, None),  # late
        cs.CaseFacts(3, h, "dispatched", march, None, 0, None),  # open, overdue
        cs.CaseFacts(4, h, "dispatched", now + timedelta(days=2), None, 0, None),  # pending
        cs.CaseFacts(5, h, "closed", march, march, 0, 1),  # on time, rated low
        cs.CaseFacts(6, h, "merged", march, None, 0, None),  # a duplicate: not counted
        cs.CaseFacts(7, h, "closed", datetime(2026, 2, 27, tzinfo=SH), march, 0, 3),  # February
    ]
    events = [
        cs.EventFacts(h, march, "overdue"),
        cs.EventFacts(h, march, "escalated"),
        cs.EventFacts(h, march, "urged"),
        cs.EventFacts(h, march, "urged"),
        cs.EventFacts(h, march, "reopened"),
        cs.EventFacts(h, march, "rated", rating=1),
        cs.EventFacts(h, march, "rated", rating=5),
        cs.EventFacts(h, datetime(2026, 2, 20, tzinfo=SH), "urged"),  # another month
        cs.EventFacts(None, march, "urged"),  # no handler in charge
    ]
    [row] = cs.score_month(cases, events, month="2026-03", now=now, tz=SH, levels=LEVELS)
    assert (row.due, row.on_time, row.late, row.open_overdue) == (5, 2, 1, 1)
    assert row.on_time_rate == pytest.approx(2 / 4)
    assert row.reopen_rate == pytest.approx(1 / 3)
    assert row.mean_rating == pytest.approx(3.0)
    assert row.deductions == {"overdue": 2, "escalated": 1, "urged": 2, "reopened": 2,
                              "low_rating": 1}
    assert row.points == 12 - 8


def test_a_month_is_the_local_calendar_month() -> None:
    just_after_midnight_local = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 1 April in Shanghai
    assert cs.month_of(just_after_midnight_local, SH) == "2026-04"
