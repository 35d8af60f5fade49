"""Work orders and hotline cases: statuses, service levels, deadlines, escalation, duplicates.

Pure rules, no I/O except reading the data table ``service_levels.toml``. The lifecycle::

    submitted -dispatch-> dispatched -accept-> in_progress -resolve-> resolved -rate-> closed
    dispatched/in_progress -refer-> dispatched (another handler) or submitted (no handler)
    resolved/closed -reopen (within the window)-> dispatched, with a fresh deadline
    any open status -merge-> merged (a duplicate folded into another case)

A case's deadline runs from the time it was reported (the resident waits from then, whoever
holds it), so a referral does not reset the clock; a reopened case gets a fresh deadline
from the reopening.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from rescity.core.errors import DataFileError, InputError, Problem

DATA_FILE = "rescity/community/service_levels.toml"


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    MERGED = "merged"


OPEN_STATUSES = frozenset({CaseStatus.SUBMITTED, CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS})
DONE_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED, CaseStatus.MERGED})


class Channel(StrEnum):
    RESIDENT = "resident"
    GRID_WORKER = "grid_worker"
    HOTLINE = "hotline"
    ALERT = "alert"
    SENSOR = "sensor"
    OPEN311 = "open311"


class HandlerKind(StrEnum):
    DEPARTMENT = "department"
    PROPERTY_MANAGER = "property_manager"


# Which step may start from which status.
STEPS: dict[str, frozenset[CaseStatus]] = {
    "dispatch": frozenset({CaseStatus.SUBMITTED, CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS}),
    "accept": frozenset({CaseStatus.DISPATCHED}),
    "urge": OPEN_STATUSES,
    "refer": frozenset({CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS}),
    "merge": OPEN_STATUSES,
    "resolve": frozenset({CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS}),
    "rate": frozenset({CaseStatus.RESOLVED}),
    "reopen": frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED}),
}


def open311_status(status: str) -> str:
    """Open311 knows two statuses: a case is "open" until it is resolved, closed or merged."""
    return "open" if CaseStatus(status) in OPEN_STATUSES else "closed"


@dataclass(frozen=True)
class Level:
    name: str
    hours: float
    escalate_every_hours: float


@dataclass(frozen=True)
class AttributeValue:
    key: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    description_zh: str
    description_en: str
    values: tuple[AttributeValue, ...] = ()


@dataclass(frozen=True)
class CaseType:
    code: str
    level: Level
    handler: HandlerKind
    group: str
    keywords: tuple[str, ...]
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    attributes: tuple[Attribute, ...] = ()

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_zh

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_zh


@dataclass(frozen=True)
class ServiceLevels:
    types: dict[str, CaseType]
    levels: dict[str, Level]
    max_escalation: int
    escalation_alert_kind: str
    auto_dispatch: bool
    duplicate_radius_m: float
    duplicate_window: timedelta
    reopen_window: timedelta
    start_points: float
    low_rating: int
    deductions: dict[str, float]

    def case_type(self, code: str) -> CaseType:
        found = self.types.get(code)
        if found is None:
            raise InputError([Problem("service_code", f"unknown service code '{code}'")])
        return found


DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
DEDUCTION_RULES = ("overdue", "escalated", "urged", "reopened", "low_rating", "referred_back")


def parse(text: str, *, source: str = DATA_FILE) -> ServiceLevels:
    """Read the table; a malformed one raises DataFileError naming the entry that is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise DataFileError(source, f"not valid TOML: {exc}", line=line) from None
    try:
        return _build(data)
    except (KeyError, TypeError, ValueError) as exc:
        message = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
        raise DataFileError(source, message) from None


def _build(data: dict[str, Any]) -> ServiceLevels:
    levels = {
        name: Level(name, float(v["hours"]), float(v["escalate_every_hours"]))
        for name, v in data["levels"].items()
    }
    for level in levels.values():
        if level.hours <= 0 or level.escalate_every_hours <= 0:
            raise ValueError(f"[levels.{level.name}]: hours must be positive")
    types: dict[str, CaseType] = {}
    for i, t in enumerate(data["types"]):
        where = f"[[types]] #{i + 1} ({t.get('code', '?')})"
        if t["level"] not in levels:
            raise ValueError(f"{where}: unknown level '{t['level']}'")
        if t["code"] in types:
            raise ValueError(f"{where}: code used twice")
        attributes = []
        for a in t.get("attributes", []):
            if a["datatype"] not in DATATYPES:
                raise ValueError(f"{where}: attribute '{a['code']}' has datatype {a['datatype']}")
            values = tuple(
                AttributeValue(str(v["key"]), v["name_zh"], v["name_en"])
                for v in a.get("values", [])
            )
            if a["datatype"].endswith("valuelist") and not values:
                raise ValueError(f"{where}: attribute '{a['code']}' needs values")
            attributes.append(
                Attribute(a["code"], a["datatype"], bool(a.get("required", False)),
                          a["description_zh"], a["description_en"], values)
            )
        types[t["code"]] = CaseType(
            code=t["code"], level=levels[t["level"]], handler=HandlerKind(t["handler"]),
            group=t.get("group", ""), keywords=tuple(t.get("keywords", [])),
            name_zh=t["name_zh"], name_en=t["name_en"],
            description_zh=t.get("description_zh", ""), description_en=t.get("description_en", ""),
            attributes=tuple(attributes),
        )
    deductions = {k: float(v) for k, v in data["scoring"]["deductions"].items()}
    unknown = set(deductions) - set(DEDUCTION_RULES)
    if unknown:
        raise ValueError(f"[scoring.deductions]: unknown rules {sorted(unknown)}")
    return ServiceLevels(
        types=types, levels=levels,
        max_escalation=int(data["escalation"]["max_level"]),
        escalation_alert_kind=str(data["escalation"]["alert_kind"]),
        auto_dispatch=bool(data["dispatch"]["auto"]),
        duplicate_radius_m=float(data["duplicates"]["radius_m"]),
        duplicate_window=timedelta(hours=float(data["duplicates"]["window_hours"])),
        reopen_window=timedelta(days=float(data["closure"]["reopen_window_days"])),
        start_points=float(data["scoring"]["start_points"]),
        low_rating=int(data["scoring"]["low_rating"]),
        deductions={rule: deductions.get(rule, 0.0) for rule in DEDUCTION_RULES},
    )


@cache
def service_levels() -> ServiceLevels:
    text = resources.files("rescity.community").joinpath("service_levels.toml").read_text("utf-8")
    return parse(text)


def deadline(case_type: CaseType, reported_at: datetime) -> datetime:
    return reported_at + timedelta(hours=case_type.level.hours)


def due_escalation(
    level: Level, deadline_at: datetime, now: datetime, *, max_level: int
) -> int:
    """The escalation level a still-open case should be at by ``now``.

    0 before the deadline; 1 at the deadline; one more every ``escalate_every_hours``
    after it, never above ``max_level``.
    """
    if now < deadline_at:
        return 0
    late_h = (now - deadline_at).total_seconds() / 3600.0
    return min(max_level, 1 + int(late_h // level.escalate_every_hours))


def validate_attributes(case_type: CaseType, given: dict[str, str]) -> dict[str, Any]:
    """Check an Open311 ``attribute[...]`` set against the type's definition."""
    problems = []
    known = {a.code: a for a in case_type.attributes}
    for code in sorted(set(given) - set(known)):
        problems.append(Problem(f"attribute[{code}]", "not an attribute of this service"))
    out: dict[str, Any] = {}
    for code, attr in known.items():
        value = given.get(code, "").strip() if isinstance(given.get(code), str) else given.get(code)
        if value in (None, ""):
            if attr.required:
                problems.append(Problem(f"attribute[{code}]", "is required"))
            continue
        if attr.datatype == "number":
            try:
                out[code] = float(str(value))
            except ValueError:
                problems.append(Problem(f"attribute[{code}]", "must be a number"))
            continue
        if attr.datatype in ("singlevaluelist", "multivaluelist"):
            keys = {v.key for v in attr.values}
            chosen = [p.strip() for p in str(value).split(",")]
            if attr.datatype == "singlevaluelist" and len(chosen) != 1:
                problems.append(Problem(f"attribute[{code}]", "takes one value"))
            bad = [c for c in chosen if c not in keys]
            if bad:
                problems.append(Problem(f"attribute[{code}]", f"one of {', '.join(sorted(keys))}"))
            out[code] = chosen[0] if attr.datatype == "singlevaluelist" else chosen
            continue
        out[code] = str(value)[:1000]
    if problems:
        raise InputError(problems, source="attributes")
    return out


EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Spot:
    """Where and when a case was reported, for duplicate detection."""

    case_id: int
    service_code: str
    reported_at: datetime
    lat: float | None
    lon: float | None
    address: str


def _norm(address: str) -> str:
    return "".join(address.lower().split())


def is_duplicate(new: Spot, old: Spot, *, radius_m: float, window: timedelta) -> bool:
    """Same type, reported within the window, and within the radius (or the same address)."""
    if new.service_code != old.service_code or new.case_id == old.case_id:
        return False
    if abs(new.reported_at - old.reported_at) > window:
        return False
    if None not in (new.lat, new.lon, old.lat, old.lon):
        assert new.lat is not None and new.lon is not None
        assert old.lat is not None and old.lon is not None
        return distance_m(new.lat, new.lon, old.lat, old.lon) <= radius_m
    return bool(_norm(new.address)) and _norm(new.address) == _norm(old.address)


def best_duplicate(
    new: Spot, candidates: list[Spot], *, radius_m: float, window: timedelta
) -> int | None:
    """The earliest open case the new one duplicates, if any (the one to merge into)."""
    found = [
        c for c in candidates if is_duplicate(new, c, radius_m=radius_m, window=window)
    ]
    return min(found, key=lambda c: (c.reported_at, c.case_id)).case_id if found else None
