"""Record ids as the databases store them: what a client may send as one.

Primary keys are 32-bit integers on PostgreSQL (``integer``); a larger number, a negative one,
or a "digit" that is not an ASCII digit (``"²".isdigit()`` is true) is not an id of anything,
and must be answered as bad input naming the field, never reach the database.
"""

from __future__ import annotations

from rescity.core.errors import InputError, Problem

ID_MAX = 2**31 - 1  # PostgreSQL integer; SQLite's range is larger


def is_id_text(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= ID_MAX


def parse_id(raw: str, where: str) -> int:
    """The id ``raw`` names, or InputError naming ``where``."""
    raw = raw.strip()
    if not is_id_text(raw):
        raise InputError([Problem(where, f"an id from 0 to {ID_MAX}")])
    return int(raw)


def in_range(value: int) -> bool:
    return -ID_MAX - 1 <= value <= ID_MAX
