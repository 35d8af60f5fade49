"""Input checks several capabilities share: phone numbers (residents, visitors)."""

from __future__ import annotations

import re

from rescity.core.errors import Problem

PHONE_RE = re.compile(r"^\+?\d{5,20}$")


def normalise_phone(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit() or ch == "+")


def check_phone(value: str, where: str = "phone") -> list[Problem]:
    if not PHONE_RE.match(normalise_phone(value)):
        return [Problem(where, "5–20 digits, optionally starting with +")]
    return []
