"""Desensitised published figures: small counts are suppressed (k-anonymity threshold), and
so are the cells that would let anyone subtract their way back to one (complementary)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

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


def complementary(
    values: dict[Hashable, int], groups: Iterable[tuple[Hashable, Sequence[Hashable]]], *,
    k: int = K_MIN,
) -> set[Hashable]:
    """The cells to withhold so that no withheld cell can be worked out by subtraction.

    ``values`` are exact counts by cell; each group is (a total, the cells that add up to
    it): a community and its grids, an alert total and its kinds. Small cells (1 to k-1)
    are withheld first; then, wherever a group's total is published, more of its cells
    (the smallest non-zero ones first) are withheld until at least two are and they hold
    at least ``k`` together, so "total minus the others" names no single cell. Repeated
    until no group changes, since a cell can belong to several groups.
    """
    groups = [(total, list(cells)) for total, cells in groups]
    hidden = {cell for cell, n in values.items() if suppress(n, k=k) is None}
    changed = True
    while changed:
        changed = False
        for total, cells in groups:
            if total in hidden or not any(c in hidden for c in cells):
                continue
            ranked = sorted((c for c in cells if c not in hidden),
                            key=lambda c: (values[c] == 0, values[c]))
            for cell in ranked:
                held = [c for c in cells if c in hidden]
                if len(held) >= 2 and sum(values[c] for c in held) >= k:
                    break
                hidden.add(cell)
                changed = True
    return hidden
