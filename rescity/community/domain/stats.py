"""Desensitised published figures: small counts are suppressed (k-anonymity threshold)."""

from __future__ import annotations

K_MIN = 5


def suppress(count: int, *, k: int = K_MIN) -> int | None:
    """``None`` (shown as "<5") for 0 < count < k: a small cell can point at one household."""
    if 0 < count < k:
        return None
    return count


def rate(numerator: int, denominator: int, *, k: int = K_MIN) -> float | None:
    """A share, withheld when the population it is taken over is smaller than ``k``."""
    if denominator < k:
        return None
    return round(numerator / denominator, 3)
