"""Plain records the importers produce and the services store: no database, no I/O.

Bilingual text comes in parallel ``*_en`` / ``*_zh`` fields. ``key`` values are stable
identifiers derived from the source (not database ids), so that importing the same document
twice finds the same records.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rescity.knowledge.domain.outcomes import OutcomeFigure

TEXT_FIELDS = (
    "title",
    "summary",
    "abstract",
    "background",
    "innovative_aspects",
    "outcomes",
    "lessons",
)
LIST_FIELDS = ("key_measures",)
LANGS = ("en", "zh")


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"


class Severity(StrEnum):
    WARNING = "warning"
    ERROR = "error"


def slugify(text: str, *, max_len: int = 80) -> str:
    """ASCII slug for keys: "Xi'an" → "xian", "Bielsko-Biała" → "bielsko-biala"."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    norm = re.sub(r"['’]", "", norm.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", norm).strip("-")
    return slug[:max_len].rstrip("-")


@dataclass
class ImportIssue:
    """Something the importer could not parse, or parsed with a doubt."""

    line: int | None
    field: str
    message: str
    severity: Severity = Severity.WARNING
    case: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "-"
        case = f" [{self.case}]" if self.case else ""
        return f"{where}{case} {self.field}: {self.message}"


@dataclass
class CityData:
    key: str
    name_en: str
    name_zh: str = ""
    country: str = ""
    lat: float | None = None
    lon: float | None = None


@dataclass
class ProfileData:
    """A yearly snapshot of a city's basic data, each value with where it came from."""

    year: int | None = None
    population: int | None = None
    land_area_km2: float | None = None
    gdp_per_capita: float | None = None
    gdp_currency: str = "USD"
    gdp_year: int | None = None
    growth_rate_pct: float | None = None
    prosperity: list[str] = field(default_factory=list)
    stated_density: float | None = None
    scope_note: str = ""
    source: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def density(self) -> float | None:
        """People per km², derived from population and land area."""
        if self.population is None or not self.land_area_km2:
            return None
        return self.population / self.land_area_km2


def density_mismatch(profile: ProfileData, *, tolerance: float = 0.05) -> float | None:
    """Relative gap between stated and derived density when larger than ``tolerance``."""
    derived = profile.density
    if derived is None or profile.stated_density is None or derived == 0:
        return None
    gap = abs(profile.stated_density - derived) / derived
    return gap if gap > tolerance else None


@dataclass
class InitiativeData:
    key: str
    city_key: str
    title_en: str = ""
    title_zh: str = ""
    summary_en: str = ""
    summary_zh: str = ""
    abstract_en: str = ""
    abstract_zh: str = ""
    background_en: str = ""
    background_zh: str = ""
    key_measures_en: list[str] = field(default_factory=list)
    key_measures_zh: list[str] = field(default_factory=list)
    innovative_aspects_en: str = ""
    innovative_aspects_zh: str = ""
    outcomes_en: str = ""
    outcomes_zh: str = ""
    lessons_en: str = ""
    lessons_zh: str = ""
    figures: list[OutcomeFigure] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    year: int | None = None
    source_document: str = ""
    source_line: int | None = None
    source_page: int | None = None
    source_section: str = ""
    status: Status = Status.PUBLISHED

    def content(self) -> dict[str, Any]:
        """The editable content as a plain dict (the shape versions store)."""
        data: dict[str, Any] = {}
        for name in TEXT_FIELDS + LIST_FIELDS:
            for lang in LANGS:
                value = getattr(self, f"{name}_{lang}")
                data[f"{name}_{lang}"] = list(value) if isinstance(value, list) else value
        data["figures"] = [f.as_dict() for f in self.figures]
        data["tags"] = sorted(self.tags)
        data["year"] = self.year
        return data


@dataclass
class PartnerData:
    """A city's membership in a programme (IURC partner, IUC pilot)."""

    city_key: str
    region: str  # "cn" or "eu"
    role: str = "partner"
    clusters: list[str] = field(default_factory=list)


@dataclass
class PairingData:
    city_a: str
    city_b: str
    topic: str = ""
    source_line: int | None = None


@dataclass
class EventData:
    key: str
    type: str
    date: str
    title: str
    participants: list[str] = field(default_factory=list)
    outputs: str = ""
    source_line: int | None = None
    end_date: str = ""  # last day of a multi-day event
    date_note: str = ""  # how the dates were read (year inferred, months only, ...)
    themes: list[str] = field(default_factory=list)


@dataclass
class ProgrammeData:
    key: str
    name_en: str
    name_zh: str = ""
    period: str = ""
    partners: list[PartnerData] = field(default_factory=list)
    pairings: list[PairingData] = field(default_factory=list)
    events: list[EventData] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """What one importer read from one file: records to store and issues to report."""

    source: str
    format: str
    cities: list[CityData] = field(default_factory=list)
    profiles: dict[str, ProfileData] = field(default_factory=dict)  # by city key
    initiatives: list[InitiativeData] = field(default_factory=list)
    programmes: list[ProgrammeData] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)

    def warn(self, line: int | None, field_: str, message: str, *, case: str = "") -> None:
        self.issues.append(ImportIssue(line, field_, message, Severity.WARNING, case))
