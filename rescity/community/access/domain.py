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
    CONTROL_CLOSED = "control_closed"  # building control status: residents not let out
    CONTROL_QUOTA = "control_quota"  # building control status: the household's exits used up
    CONTROL_PERMIT = "control_permit"  # building control status: exits with a permit only


def passage_window(now: datetime, window: timedelta) -> tuple[datetime, datetime]:
    """The passages that count towards the frequent-access rule: those in [now − window,
    now] (the one being recorded included)."""
    return now - window, now


def too_frequent(passages_in_window: int, *, max_passages: int) -> bool:
    """True when more than ``max_passages`` passages fall in the window."""
    return passages_in_window > max_passages
