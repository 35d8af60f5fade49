"""Gate passages and the rule for frequent comings and goings."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class ScanOutcome(StrEnum):
    ADMITTED = "admitted"
    EXPIRED = "expired"
    REVOKED = "revoked"
    INVALID = "invalid"
    QUARANTINED = "quarantined"
    OUTSIDE_WINDOW = "outside_window"


def too_frequent(
    passages: list[datetime], *, now: datetime, window: timedelta, max_passages: int
) -> bool:
    """True when more than ``max_passages`` passages (this one included) fall in the window."""
    recent = [t for t in passages if now - window <= t <= now]
    return len(recent) > max_passages
