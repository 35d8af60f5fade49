"""Case records: what a case is, and the rules a record must meet before it is stored.

Dates are calendar days of the community's time zone, the way health offices report them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from rescity.core.errors import InputError, Problem


class CaseStatus(StrEnum):
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"
    RECOVERED = "recovered"


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True)
class CaseInput:
    """What a health officer enters; ``resident_id`` or ``grid`` (+ building) says where."""

    status: CaseStatus
    onset_date: date | None = None
    confirmed_date: date | None = None
    recovered_date: date | None = None
    resident_id: int | None = None
    grid: str = ""
    building: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    note: str = ""
    source_case_id: int | None = None
    cluster: str = ""
    exposure_date: date | None = None


def check(case: CaseInput, *, today: date) -> None:
    """All problems of a record at once: dates in order, none in the future, a place given,
    coordinates on the globe, a confirmed case with its confirmation date."""
    problems: list[Problem] = []
    if case.resident_id is None and not case.grid:
        problems.append(Problem("grid", "give the resident or the grid where the case lives"))
    dates = {"onset_date": case.onset_date, "confirmed_date": case.confirmed_date,
             "recovered_date": case.recovered_date, "exposure_date": case.exposure_date}
    for name, value in dates.items():
        if value is not None and value > today:
            problems.append(Problem(name, "cannot be in the future"))
    if case.status in (CaseStatus.CONFIRMED, CaseStatus.RECOVERED) and not case.confirmed_date:
        problems.append(Problem("confirmed_date", "a confirmed case needs its confirmation date"))
    if case.status == CaseStatus.RECOVERED and not case.recovered_date:
        problems.append(Problem("recovered_date", "a recovered case needs its recovery date"))
    if case.onset_date and case.confirmed_date and case.confirmed_date < case.onset_date:
        problems.append(Problem("confirmed_date", "cannot be before the onset"))
    if case.confirmed_date and case.recovered_date and case.recovered_date < case.confirmed_date:
        problems.append(Problem("recovered_date", "cannot be before the confirmation"))
    if (case.lat is None) != (case.lon is None):
        problems.append(Problem("lat", "give both latitude and longitude, or neither"))
    if case.lat is not None and not -90 <= case.lat <= 90:
        problems.append(Problem("lat", "must be between -90 and 90"))
    if case.lon is not None and not -180 <= case.lon <= 180:
        problems.append(Problem("lon", "must be between -180 and 180"))
    if case.exposure_date and case.source_case_id is None and not case.cluster:
        problems.append(Problem("exposure_date", "name the source case or cluster it refers to"))
    if problems:
        raise InputError(problems)


def period_start(day: date, granularity: Granularity) -> date:
    """The first day of the period a day falls in (weeks start on Monday, ISO 8601)."""
    if granularity == Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    return day


def periods(start: date, end: date, granularity: Granularity) -> list[date]:
    """Every period from the one holding ``start`` to the one holding ``end``."""
    step = timedelta(days=7 if granularity == Granularity.WEEK else 1)
    first, out = period_start(start, granularity), []
    while first <= end:
        out.append(first)
        first += step
    return out
