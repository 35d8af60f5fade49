"""Monthly scoring of departments and property managers from their cases and case history.

For each handler and month (local calendar):

- **on-time rate** = cases due in the month resolved by their deadline ÷ (those + cases
  resolved late + cases *still open past their deadline*). Counting open overdue cases is
  the point: a handler cannot raise its rate by sitting on late cases. Cases due later than
  ``now`` are pending and not counted yet.
- **reopen rate** = cases due in the month that the reporter reopened ÷ those resolved.
- **mean rating** of the rated ones (1–5).
- **points** (驾照式扣分, "driving-licence" scoring): start at ``start_points`` each month
  and lose the points ``service_levels.toml`` sets per rule for each history event of the
  month charged to the handler: the case went overdue, escalated further, was urged (催办),
  reopened, rated low, or referred as "not our responsibility".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from rescity.community.cases.domain import OPEN_STATUSES, CaseStatus, ServiceLevels


@dataclass(frozen=True)
class CaseFacts:
    case_id: int
    handler_id: int | None
    status: str
    deadline_at: datetime
    resolved_at: datetime | None
    reopen_count: int
    rating: int | None


@dataclass(frozen=True)
class EventFacts:
    handler_id: int | None
    at: datetime
    kind: str
    rating: int | None = None  # for "rated" events


@dataclass
class HandlerMonth:
    handler_id: int
    month: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    resolved: int = 0
    reopened: int = 0
    ratings: list[int] = field(default_factory=list)
    deductions: dict[str, float] = field(default_factory=dict)
    points: float = 0.0

    @property
    def on_time_rate(self) -> float | None:
        counted = self.on_time + self.late + self.open_overdue
        return self.on_time / counted if counted else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.resolved if self.resolved else None

    @property
    def mean_rating(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None


def month_of(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m")


def rule_of(event: EventFacts, low_rating: int) -> str | None:
    """Which deduction rule a history event falls under, if any."""
    if event.kind in ("overdue", "urged", "reopened"):
        return event.kind
    if event.kind == "escalated":
        return "escalated"
    if event.kind == "rated" and event.rating is not None and event.rating <= low_rating:
        return "low_rating"
    if event.kind == "referred":
        return "referred_back"
    return None


def score_month(
    cases: Iterable[CaseFacts],
    events: Iterable[EventFacts],
    *,
    month: str,
    now: datetime,
    tz: tzinfo,
    levels: ServiceLevels,
) -> list[HandlerMonth]:
    """One row per handler that had a case due or a deduction in ``month`` (``YYYY-MM``)."""
    rows: dict[int, HandlerMonth] = {}

    def row(handler_id: int) -> HandlerMonth:
        if handler_id not in rows:
            rows[handler_id] = HandlerMonth(handler_id, month)
        return rows[handler_id]

    for case in cases:
        if case.handler_id is None or case.status == CaseStatus.MERGED:
            continue
        if month_of(case.deadline_at, tz) != month:
            continue
        r = row(case.handler_id)
        r.due += 1
        if case.resolved_at is not None and CaseStatus(case.status) not in OPEN_STATUSES:
            r.resolved += 1
            if case.resolved_at <= case.deadline_at:
                r.on_time += 1
            else:
                r.late += 1
            if case.reopen_count:
                r.reopened += 1
            if case.rating is not None:
                r.ratings.append(case.rating)
        elif case.deadline_at < now:
            r.open_overdue += 1
            if case.reopen_count:
                r.reopened += 1
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for ev in events:
        if ev.handler_id is None or month_of(ev.at, tz) != month:
            continue
        rule = rule_of(ev, levels.low_rating)
        if rule is not None:
            counts[ev.handler_id][rule] += 1
    for handler_id, counter in counts.items():
        row(handler_id)
        rows[handler_id].deductions = {
            rule: n * levels.deductions[rule] for rule, n in counter.items()
            if levels.deductions[rule]
        }
    for r in rows.values():
        r.points = levels.start_points - sum(r.deductions.values())
    return sorted(rows.values(), key=lambda r: (r.points, r.handler_id))
