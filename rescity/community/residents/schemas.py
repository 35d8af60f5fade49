"""Requests and answers of the residents API: one schema per purpose, so that a response
can never leak a field by accident."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from rescity.community.residents.domain import CareKind, ConsentBy, Relation
from rescity.community.shared.schemas import In


class HouseholdCreate(In):
    grid: str = Field(max_length=64, description="Grid place code")
    building: str = Field(max_length=40)
    unit: str = Field(default="", max_length=20)
    room: str = Field(max_length=20)


class HouseholdPublic(BaseModel):
    id: int
    scope: str


class DwellingRef(In):
    grid: str = Field(max_length=64, description="Grid place code")
    building: str = Field(max_length=40)
    unit: str = Field(default="", max_length=20)
    room: str = Field(max_length=20)


class ResidentCreate(In):
    household_id: int
    lives_at: DwellingRef | None = Field(
        default=None, description="Where the member lives if not at the household's dwelling "
        "(e.g. a parent in another grid)")
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    national_id: str | None = Field(default=None, max_length=40)
    birth_year: int | None = None
    relation: Relation = Relation.SELF


class ResidentUpdate(In):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    birth_year: int | None = None
    relation: Relation | None = None


class CareFlagPublic(BaseModel):
    id: int
    kind: str
    purpose: str
    consent_by: str
    consent_at: datetime


class ResidentPublic(BaseModel):
    """Identifiers are masked (138****1234) unless ``revealed`` names them."""

    id: int
    household_id: int
    dwelling: str
    name: str
    phone: str | None
    national_id: str | None
    birth_year: int | None
    relation: str
    registered_via: str
    quarantine_until: datetime | None
    version: int
    care: list[CareFlagPublic]
    revealed: list[str]
    lives_elsewhere: bool = False


class CareFlagCreate(In):
    kind: CareKind
    purpose: str = Field(min_length=5, max_length=200)
    consent_by: ConsentBy


class QuarantineSet(In):
    until: datetime | None


class InvitationCreate(In):
    place: str = Field(max_length=64)
    days: int = Field(default=14, ge=1, le=90)
    max_uses: int = Field(default=200, ge=1, le=10_000)


class InvitationPublic(BaseModel):
    code: str
    place: str
    expires_at: datetime
    join_url: str
    qr_svg_url: str


class RegisterRequest(In):
    code: str = Field(max_length=32)
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    grid: str = Field(max_length=64)
    building: str = Field(max_length=40)
    unit: str = Field(default="", max_length=20)
    room: str = Field(max_length=20)
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    national_id: str | None = Field(default=None, max_length=40)
    birth_year: int | None = None
    language: str = Field(default="zh", pattern="^(zh|en)$")


class RegisteredPublic(BaseModel):
    user_id: int
    resident_id: int
    household_id: int


class DeletionPublic(BaseModel):
    id: int
    status: str
    requested_at: datetime
