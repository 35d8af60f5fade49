"""Residents: input checks for identifiers, relations and care flags."""

from __future__ import annotations

import re
from enum import StrEnum

from rescity.core.errors import Problem

NATIONAL_ID_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


class Relation(StrEnum):
    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    OTHER = "other"


class Channel(StrEnum):
    """How a resident came to be registered."""

    SELF = "self"  # by the resident, with an invitation code or QR
    FAMILY = "family"  # by a member of the same household
    GRID_WORKER = "grid_worker"


class CareKind(StrEnum):
    ELDERLY_ALONE = "elderly_alone"
    DISABLED = "disabled"
    CHRONIC_ILLNESS = "chronic_illness"


class ConsentBy(StrEnum):
    RESIDENT = "resident"
    GUARDIAN = "guardian"


def check_national_id(value: str, where: str = "national_id") -> list[Problem]:
    """An 18-character resident ID (GB 11643) with a valid ISO 7064 MOD 11-2 check digit."""
    value = value.strip().upper()
    if not NATIONAL_ID_RE.match(value):
        return [Problem(where, "18 characters: 17 digits and a digit or X")]
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        return [Problem(where, "check digit does not match")]
    return []
