"""Control statuses as data (``statuses.toml``) and the gate's decision for a resident leaving.

The decision is pure: the scan flow reads the statuses in force for the resident's building
and, for a household quota, how many exits the household already made today, and asks
:func:`exit_decision`. Reasons are message keys, so a gate device shows them in its language.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources

from rescity.core.errors import ConfigError, Problem


class GateRule(StrEnum):
    CLOSED = "closed"  # residents are not admitted out
    HOUSEHOLD_QUOTA = "household_quota"  # at most n exits per household per local day
    PERMIT = "permit"  # only residents holding a valid exit permit (出入证) leave
    REMIND = "remind"  # admitted, with a reminder


class Delivery(StrEnum):
    DOOR = "door"
    PICKUP = "pickup"


# The gate's explanation of each rule, as message keys (catalogs community_control.*.toml).
REASON_KEYS: dict[GateRule, str] = {
    GateRule.CLOSED: "ctl.reason.closed",
    GateRule.HOUSEHOLD_QUOTA: "ctl.reason.household_quota",
    GateRule.PERMIT: "ctl.reason.no_permit",
    GateRule.REMIND: "ctl.reason.remind",
}
PERMIT_KEY = "ctl.reason.permit"
QUOTA_LEFT_KEY = "ctl.reason.quota_left"
# The rule as the page explains it ({n}: exits per day).
RULE_KEYS: dict[GateRule, str] = {
    GateRule.CLOSED: "ctl.rule.closed",
    GateRule.HOUSEHOLD_QUOTA: "ctl.rule.household_quota",
    GateRule.PERMIT: "ctl.rule.permit",
    GateRule.REMIND: "ctl.rule.remind",
}


@dataclass(frozen=True)
class StatusKind:
    key: str
    label_zh: str
    label_en: str
    gate: GateRule
    delivery: Delivery
    colour: str
    exits_per_day: int = 0
    rank: int = 0  # 0 is the strictest

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


@cache
def status_kinds() -> dict[str, StatusKind]:
    """The configured statuses by key, strictest first (``statuses.toml``)."""
    text = resources.files("rescity.community.control").joinpath("statuses.toml").read_text(
        "utf-8")
    return parse_statuses(text)


def parse_statuses(text: str) -> dict[str, StatusKind]:
    """Statuses from TOML text; every problem is reported at once."""
    problems: list[Problem] = []
    found: dict[str, StatusKind] = {}
    for rank, row in enumerate(tomllib.loads(text).get("status", [])):
        key = str(row.get("key", ""))
        where = f"status[{rank}]"
        if not key.isidentifier() or key in found:
            problems.append(Problem(where, f"key '{key}' must be a unique identifier"))
            continue
        try:
            gate, delivery = GateRule(row.get("gate")), Delivery(row.get("delivery", "door"))
        except ValueError as exc:
            problems.append(Problem(where, str(exc)))
            continue
        exits = int(row.get("exits_per_day", 0))
        if gate is GateRule.HOUSEHOLD_QUOTA and exits < 1:
            problems.append(Problem(where, "a household quota needs exits_per_day >= 1"))
        found[key] = StatusKind(key, str(row.get("label_zh", key)), str(row.get("label_en", key)),
                                gate, delivery, str(row.get("colour", "#777")), exits, rank)
    if not found:
        problems.append(Problem("status", "no status configured"))
    if problems:
        raise ConfigError(problems, source="statuses.toml")
    return found


@dataclass(frozen=True)
class ExitDecision:
    """What the gate does with a resident leaving a building under control."""

    status: StatusKind
    admitted: bool
    reason_key: str
    exits_left: int | None = None  # for a household quota, after this exit

    @property
    def outcome(self) -> str:
        """The gate event's outcome when refused (values of the scan outcomes)."""
        return {GateRule.CLOSED: "control_closed",
                GateRule.PERMIT: "control_permit"}.get(self.status.gate, "control_quota")


def strictest(keys: list[str]) -> StatusKind | None:
    """The strictest configured status among ``keys`` (unknown keys are ignored)."""
    kinds = [status_kinds()[k] for k in keys if k in status_kinds()]
    return min(kinds, key=lambda k: k.rank) if kinds else None


def exit_decision(status: StatusKind, household_exits_today: int, *,
                  has_permit: bool = False) -> ExitDecision:
    """Admit or refuse one exit under ``status``."""
    if status.gate is GateRule.CLOSED:
        return ExitDecision(status, False, REASON_KEYS[GateRule.CLOSED])
    if status.gate is GateRule.PERMIT:
        if has_permit:
            return ExitDecision(status, True, PERMIT_KEY)
        return ExitDecision(status, False, REASON_KEYS[GateRule.PERMIT])
    if status.gate is GateRule.HOUSEHOLD_QUOTA:
        left = status.exits_per_day - household_exits_today
        if left <= 0:
            return ExitDecision(status, False, REASON_KEYS[GateRule.HOUSEHOLD_QUOTA], 0)
        return ExitDecision(status, True, QUOTA_LEFT_KEY, left - 1)
    return ExitDecision(status, True, REASON_KEYS[GateRule.REMIND])


def validate_period(starts_at: datetime, ends_at: datetime | None) -> list[Problem]:
    if ends_at is not None and ends_at <= starts_at:
        return [Problem("ends_at", "must be after starts_at")]
    return []
