"""Help requests: kinds, lifecycle, the rules table, and the older whole-hour availability
(weekly shift slots and the time rule are in ``shifts.py``).

Lifecycle of a request::

    open -match-> offered -accept-> accepted -start-> in_progress -deliver-> delivered
    delivered -confirm (the resident)-> confirmed
    offered -decline / expire-> open (re-matched); after N failed offers -> escalated
    (a professional takes over); open / offered / accepted -cancel-> cancelled

A coordinator may also assign a volunteer directly (the offer is then accepted at once).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from rescity.community.help.matching import KindSkills, Weights
from rescity.core.errors import DataFileError, InputError, Problem

DATA_FILE = "rescity/community/help_rules.toml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HelpStatus(StrEnum):
    OPEN = "open"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    CONFIRMED = "confirmed"
    ESCALATED = "escalated"
    CANCELLED = "cancelled"


ACTIVE = frozenset({HelpStatus.ACCEPTED, HelpStatus.IN_PROGRESS})


class OfferState(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # the request was cancelled or the pair could not be completed
    DONE = "done"  # the help was delivered


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


URGENCY_RANK = {Urgency.URGENT: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2, Urgency.LOW: 3}


class Vetting(StrEnum):
    PENDING = "pending"
    VETTED = "vetted"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


@dataclass(frozen=True)
class HelpRules:
    languages: tuple[str, ...]
    skills: tuple[str, ...]
    kinds: tuple[str, ...]
    kind_skills: KindSkills
    weights: Weights
    offer_ttl: timedelta
    urgent_offer_ttl: timedelta
    candidates: int
    vetting_for_vulnerable: bool
    vetting_for_all: bool
    pairs_for_vulnerable_home_visits: bool
    escalate_after: int
    receipt_for_money: bool

    def lang_mask(self, langs: list[str]) -> int:
        return sum(1 << self.languages.index(x) for x in langs if x in self.languages)

    def skill_mask(self, skills: list[str]) -> int:
        return sum(1 << self.skills.index(x) for x in skills if x in self.skills)

    def check_languages(self, langs: list[str], where: str) -> list[Problem]:
        bad = [x for x in langs if x not in self.languages]
        return [Problem(where, f"unknown languages {bad}; one of {list(self.languages)}")] \
            if bad else []

    def needed(self, *, vulnerable: bool, home_visit: bool) -> int:
        return 2 if self.pairs_for_vulnerable_home_visits and vulnerable and home_visit else 1

    def needs_vetting(self, vulnerable: bool) -> bool:
        return self.vetting_for_all or (vulnerable and self.vetting_for_vulnerable)

    def ttl(self, urgency: str) -> timedelta:
        return self.urgent_offer_ttl if urgency == Urgency.URGENT else self.offer_ttl


def parse(text: str, *, source: str = DATA_FILE) -> HelpRules:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(source, f"not valid TOML: {exc}") from None
    try:
        languages = tuple(str(x) for x in data["languages"])
        skills = tuple(str(x) for x in data["skills"])
        if len(languages) > 62 or len(skills) > 62:
            raise ValueError("at most 62 languages and 62 skills")
        kinds = tuple(data["kinds"])
        required, preferred = [], []
        for kind in kinds:
            spec = data["kinds"][kind]
            for name in [*spec["required"], *spec["preferred"]]:
                if name not in skills:
                    raise ValueError(f"[kinds.{kind}]: unknown skill '{name}'")
            required.append(sum(1 << skills.index(x) for x in spec["required"]))
            preferred.append(sum(1 << skills.index(x) for x in spec["preferred"]))
        w = data["weights"]
        weights = Weights(float(w["distance"]), float(w["language"]), float(w["skill"]),
                          float(w["load"]), float(w["reliability"]))
        total = sum(vars(weights).values())
        if abs(total - 1.0) > 1e-6 or min(vars(weights).values()) < 0:
            raise ValueError(f"[weights] must be ≥ 0 and sum to 1 (they sum to {total:g})")
        o, g = data["offers"], data["safeguarding"]
        return HelpRules(
            languages=languages, skills=skills, kinds=kinds,
            kind_skills=KindSkills(np.array(required, dtype=np.int64),
                                   np.array(preferred, dtype=np.int64)),
            weights=weights, offer_ttl=timedelta(minutes=float(o["ttl_minutes"])),
            urgent_offer_ttl=timedelta(minutes=float(o["urgent_ttl_minutes"])),
            candidates=int(o["candidates"]),
            vetting_for_vulnerable=bool(g["vetting_required_for_vulnerable"]),
            vetting_for_all=bool(g["vetting_required_for_all"]),
            pairs_for_vulnerable_home_visits=bool(g["pairs_for_vulnerable_home_visits"]),
            escalate_after=int(g["escalate_after_failed_offers"]),
            receipt_for_money=bool(g["receipt_required_for_money"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        message = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
        raise DataFileError(source, message) from None


@cache
def help_rules() -> HelpRules:
    text = resources.files("rescity.community").joinpath("help_rules.toml").read_text("utf-8")
    return parse(text)


def availability_hours(spec: dict[str, Any]) -> list[int]:
    """``{"mon": [[9, 12], [14, 18]]}`` → hours of the week (Monday 00:00 = 0)."""
    problems = []
    hours: set[int] = set()
    for day, ranges in spec.items():
        if day not in DAYS:
            problems.append(Problem(f"availability.{day}", f"one of {', '.join(DAYS)}"))
            continue
        if not isinstance(ranges, list):
            problems.append(Problem(f"availability.{day}", "a list of [start, end] hours"))
            continue
        for pair in ranges:
            if (not isinstance(pair, list) or len(pair) != 2
                    or not all(isinstance(h, int) for h in pair)
                    or not 0 <= pair[0] < pair[1] <= 24):
                problems.append(
                    Problem(f"availability.{day}", "[start, end] with 0 ≤ start < end ≤ 24"))
                continue
            base = DAYS.index(day) * 24
            hours.update(range(base + pair[0], base + pair[1]))
    if problems:
        raise InputError(problems, source="availability")
    return sorted(hours)
