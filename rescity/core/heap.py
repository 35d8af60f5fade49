"""Keeping long-lived objects out of the cyclic garbage collector's reach for a while."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """The objects made so far are left out of every collection during the block (a full
    collection would walk an extract's millions of objects again and again), then put back.

    ``gc.unfreeze`` thaws everything frozen, not only what this block froze: where the
    process froze its heap already (``rescity serve`` freezes its start-up heap, and runs
    assessments in the same process), the block changes nothing.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
