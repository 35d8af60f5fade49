"""API schemas: one per purpose, so a response never leaks a field by accident."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from rescity.knowledge.adapters.orm import City, CityProfile, Initiative
from rescity.knowledge.adapters.search_index import record_keywords
from rescity.knowledge.domain.provenance import document_name, provenance
from rescity.knowledge.domain.taxonomy import label


class FigureIn(BaseModel):
    indicator: str = Field(min_length=1, max_length=300)
    value: float
    unit: str = Field(default="", max_length=60)
    baseline: float | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    baseline_year: int | None = Field(default=None, ge=1900, le=2100)
    direction: str = Field(default="", pattern="^(|increase|decrease)$")
    status: str = Field(default="achieved", pattern="^(achieved|target)$")


class InitiativeCreate(BaseModel):
    city: str = Field(min_length=1, max_length=120, description="City key, e.g. 'haikou'.")
    title_en: str = Field(default="", max_length=400)
    title_zh: str = Field(default="", max_length=400)
    summary_en: str = Field(default="", max_length=20_000)
    summary_zh: str = Field(default="", max_length=20_000)
    abstract_en: str = Field(default="", max_length=20_000)
    abstract_zh: str = Field(default="", max_length=20_000)
    background_en: str = Field(default="", max_length=50_000)
    background_zh: str = Field(default="", max_length=50_000)
    key_measures_en: list[str] = Field(default_factory=list, max_length=100)
    key_measures_zh: list[str] = Field(default_factory=list, max_length=100)
    innovative_aspects_en: str = Field(default="", max_length=50_000)
    innovative_aspects_zh: str = Field(default="", max_length=50_000)
    outcomes_en: str = Field(default="", max_length=50_000)
    outcomes_zh: str = Field(default="", max_length=50_000)
    lessons_en: str = Field(default="", max_length=50_000)
    lessons_zh: str = Field(default="", max_length=50_000)
    figures: list[FigureIn] = Field(default_factory=list, max_length=50)
    tags: list[str] | None = Field(default=None, description="Taxonomy codes; auto if omitted.")
    year: int | None = Field(default=None, ge=1900, le=2100)
    transferability_en: str = Field(default="", max_length=20_000)
    transferability_zh: str = Field(default="", max_length=20_000)
    budget: str = Field(default="", max_length=300)
    period: str = Field(default="", max_length=100)
    stakeholders: str = Field(default="", max_length=5_000)
    contact: str = Field(default="", max_length=300)
    source: str = Field(default="", max_length=500, description="What the submitter cites.")


class InitiativeUpdate(InitiativeCreate):
    expected_version: int | None = Field(default=None, description="Refuse if changed since.")
    note: str = Field(default="", max_length=1000)


class ReviewIn(BaseModel):
    decision: str = Field(pattern="^(publish|request_changes|reject)$")
    comment: str = Field(default="", max_length=2000)


class CitySummary(BaseModel):
    key: str
    name_en: str
    name_zh: str
    country: str

    @classmethod
    def of(cls, city: City) -> CitySummary:
        return cls(key=city.key, name_en=city.name_en, name_zh=city.name_zh, country=city.country)


class TagOut(BaseModel):
    code: str
    kind: str
    label_en: str
    label_zh: str


class InitiativeSummary(BaseModel):
    key: str
    city: CitySummary
    title_en: str
    title_zh: str
    year: int | None
    status: str
    tags: list[str]


class ReasonOut(BaseModel):
    """Why a hit matched one part of the query: a thesaurus concept or the words, where."""

    query: str
    concept: str
    label: str
    fields: list[str]
    related: bool = False  # the concept is one linked to the query's (ranked lower)


class SearchHitOut(InitiativeSummary):
    score: float
    title_highlight: str
    snippet: str
    why: list[ReasonOut] = []


class FacetOut(BaseModel):
    value: str
    label: str
    count: int


class SearchOut(BaseModel):
    total: int
    page: int
    pages: int
    per_page: int
    hits: list[SearchHitOut]
    facets: dict[str, list[FacetOut]]


class ProvenanceOut(BaseModel):
    """Where the record comes from (document file name, never a server path)."""

    document: str
    line: int | None
    page: int | None
    section: str
    title: str
    publisher: str
    edition: str
    licence: str


class InitiativePublic(InitiativeSummary):
    summary_en: str
    summary_zh: str
    abstract_en: str
    abstract_zh: str
    background_en: str
    background_zh: str
    key_measures_en: list[str]
    key_measures_zh: list[str]
    innovative_aspects_en: str
    innovative_aspects_zh: str
    outcomes_en: str
    outcomes_zh: str
    lessons_en: str
    lessons_zh: str
    figures: list[dict[str, Any]]
    tag_labels: list[TagOut]
    version: int
    sheet: dict[str, str]
    has_pending_edit: bool
    keywords_zh: list[str]
    keywords_en: list[str]
    source_document: str
    provenance: ProvenanceOut
    last_verified: date | None
    updated_at: datetime

    @classmethod
    def of(cls, item: Initiative) -> InitiativePublic:
        from rescity.knowledge.domain.taxonomy import kind_of

        data = {
            name: getattr(item, name)
            for name in cls.model_fields
            if name not in ("city", "tags", "tag_labels", "provenance", "sheet")
            and hasattr(item, name)
        }
        data["sheet"] = dict(item.sheet or {})
        data["has_pending_edit"] = item.pending_content is not None
        words = record_keywords(item)
        data.update(keywords_zh=words["zh"], keywords_en=words["en"])
        data["source_document"] = document_name(item.source_document)
        where = provenance(item.source_document, page=item.source_page, section=item.source_section)
        return cls(
            **data,
            provenance=ProvenanceOut(**where.__dict__),
            city=CitySummary.of(item.city),
            tags=item.tag_codes,
            tag_labels=[
                TagOut(code=c, kind=kind_of(c), label_en=label(c, "en"), label_zh=label(c, "zh"))
                for c in item.tag_codes
            ],
        )


def summary_of(item: Initiative) -> dict[str, Any]:
    return {
        "key": item.key,
        "city": CitySummary.of(item.city),
        "title_en": item.title_en,
        "title_zh": item.title_zh,
        "year": item.year,
        "status": item.status,
        "tags": item.tag_codes,
    }


class VersionOut(BaseModel):
    version: int
    status: str
    author: str
    note: str
    created_at: datetime


class ProfileOut(BaseModel):
    year: int | None
    population: int | None
    land_area_km2: float | None
    density: float | None
    stated_density: float | None
    gdp_per_capita: float | None
    gdp_currency: str
    gdp_year: int | None
    growth_rate_pct: float | None
    prosperity: list[str]
    scope_note: str
    source: str
    notes: dict[str, str]

    @classmethod
    def of(cls, p: CityProfile) -> ProfileOut:
        data = {name: getattr(p, name) for name in cls.model_fields}
        return cls(**{**data, "source": document_name(p.source)})


class CityPublic(CitySummary):
    lat: float | None
    lon: float | None
    profiles: list[ProfileOut]
    assessment: dict[str, float] | None
    initiatives: list[InitiativeSummary]


class ComponentOut(BaseModel):
    name: str
    weight: float
    value: float | None = Field(description="null: unknown (no data), never read as 0")
    contribution: float | None
    evidence: list[str]


class MatchOut(BaseModel):
    candidate: CitySummary
    score: float = Field(description="Sum of the known components' contributions.")
    known_weight: float = Field(description="Share of the weight backed by data.")
    components: list[ComponentOut]
    reasons: list[str]


class MatchesOut(BaseModel):
    ranked: list[MatchOut]
    no_evidence: list[CitySummary] = Field(description="Candidates without evidence, unranked.")


class GapOut(BaseModel):
    key: str
    kind: str
    severity: float
    label_en: str
    label_zh: str
    measured: str


class RecommendationOut(BaseModel):
    initiative: InitiativeSummary
    index: str = Field(description="The gap's key (an index or a facility item).")
    gap: GapOut
    assessed_area: str
    directness: str
    evidence: str
    score: float
    reason: str


class PairingIn(BaseModel):
    city_a: str = Field(min_length=1, max_length=120, description="The proposing city.")
    city_b: str = Field(min_length=1, max_length=120)
    topic: str = Field(default="", max_length=300)
    programme: str | None = Field(default=None, max_length=80)


class PairingOut(BaseModel):
    id: int
    city_a: CitySummary
    city_b: CitySummary
    topic: str
    status: str
    confirmed_a: bool
    confirmed_b: bool
    source: str

    @field_validator("source")
    @classmethod
    def _no_server_path(cls, value: str) -> str:
        return document_name(value)


class EventOut(BaseModel):
    key: str
    type: str
    date: date | None
    title: str
    participants: list[str]
    outputs: str


class PartnerOut(BaseModel):
    city: CitySummary
    region: str
    role: str
    clusters: list[str]


class ProgrammeOut(BaseModel):
    key: str
    name_en: str
    name_zh: str
    period: str
    clusters: list[str]
    partners: list[PartnerOut]
    pairings: list[PairingOut]
    events: list[EventOut]


class CityProfileIn(BaseModel):
    """Fields an editor may set; ``source`` says where the figures come from (required)."""

    source: str = Field(min_length=1, max_length=200)
    population: int | None = Field(default=None, gt=0)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    timezone: str | None = Field(default=None, max_length=64)
    level: str | None = Field(default=None, max_length=30)
    name_en: str | None = Field(default=None, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)


class CityProfileOut(BaseModel):
    key: str
    level: str
    population: int | None
    lat: float | None
    lon: float | None
    timezone: str
    provenance: dict[str, str]

    @classmethod
    def of(cls, city: Any) -> CityProfileOut:
        return cls(
            key=city.key,
            level=city.level,
            population=city.population,
            lat=city.lat,
            lon=city.lon,
            timezone=city.timezone,
            provenance=dict(city.provenance or {}),
        )


class CityEditorIn(BaseModel):
    username: str = Field(min_length=3, max_length=64)


class MilestoneIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    due: str = Field(default="", max_length=10, description="ISO date, e.g. 2025-06-30")
    status: str = Field(default="planned", pattern="^(planned|in_progress|done|dropped)$")


class ActionPlanIn(BaseModel):
    """The IUC local action plan template."""

    title: str = Field(max_length=300)
    key_projects: list[str] = Field(default_factory=list, max_length=50)
    stakeholders: list[str] = Field(default_factory=list, max_length=100)
    decision_mechanism: str = Field(default="", max_length=5000)
    contact_role: str = Field(max_length=200, description="The key contact, by role.")
    contact_name: str = Field(default="", max_length=200)
    contact_email: str = Field(default="", max_length=200)
    initiatives: list[str] = Field(default_factory=list, max_length=50)
    pairing_id: int | None = None
    programme: str | None = None
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=100)


class MilestoneStatusIn(BaseModel):
    status: str = Field(pattern="^(planned|in_progress|done|dropped)$")


class ActionPlanOut(BaseModel):
    """Only ever returned to the plan's programme members (contacts included)."""

    id: int
    city: str
    title: str
    programme: str | None
    key_projects: list[str]
    stakeholders: list[str]
    decision_mechanism: str
    contact_role: str
    contact_name: str
    contact_email: str
    initiatives: list[str]
    pairing_id: int | None
    milestones: list[dict[str, Any]]
