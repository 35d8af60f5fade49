"""One schema per purpose at the API edge, so a response can never leak a field by accident."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rescity.community.domain.access import Direction
from rescity.community.domain.health import RiskQuestion, Symptom
from rescity.community.domain.residents import CareKind, ConsentBy, Relation


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL: refuse it here, naming the field, not in the driver.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


# A row id as the tables store it (INTEGER keys): anything else names no row and is refused
# here, not by the database driver (asyncpg cannot send an int beyond 32 bits as INTEGER).
MAX_ID = 2**31 - 1


class HouseholdCreate(_In):
    grid: str = Field(max_length=64, description="Grid place code")
    building: str = Field(max_length=40)
    unit: str = Field(default="", max_length=20)
    room: str = Field(max_length=20)


class HouseholdPublic(BaseModel):
    id: int
    scope: str


class ResidentCreate(_In):
    household_id: int
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    national_id: str | None = Field(default=None, max_length=40)
    birth_year: int | None = None
    relation: Relation = Relation.SELF


class ResidentUpdate(_In):
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


class CareFlagCreate(_In):
    kind: CareKind
    purpose: str = Field(min_length=5, max_length=200)
    consent_by: ConsentBy


class QuarantineSet(_In):
    until: datetime | None


class InvitationCreate(_In):
    place: str = Field(max_length=64)
    days: int = Field(default=14, ge=1, le=90)
    max_uses: int = Field(default=200, ge=1, le=10_000)


class InvitationPublic(BaseModel):
    code: str
    place: str
    expires_at: datetime
    join_url: str
    qr_svg_url: str


class RegisterRequest(_In):
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


class CheckInCreate(_In):
    temperature_c: float
    symptoms: list[Symptom] = Field(default_factory=list, max_length=10)
    risk: list[RiskQuestion] = Field(
        default_factory=list, max_length=5, description="Risk questions answered yes"
    )
    resident_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Omit for yourself"
    )


class CheckInPublic(BaseModel):
    id: int
    resident_id: int
    name: str
    day: date
    at: datetime
    temperature_c: float
    symptoms: list[str]
    risk: list[str]
    fever: bool


class MissingPublic(BaseModel):
    resident_id: int
    name: str
    dwelling: str


class PassIssue(_In):
    resident_id: int | None = None
    days: int | None = Field(default=None, ge=1, le=366)


class PassPublic(BaseModel):
    id: int
    resident_id: int
    token: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class GateCreate(_In):
    community: str = Field(max_length=64)
    code: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)


class GatePublic(BaseModel):
    id: int
    code: str
    name: str


class ScanCreate(_In):
    gate: str = Field(max_length=64)
    direction: Direction
    token: str | None = Field(default=None, max_length=500)
    visitor_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class GateEventPublic(BaseModel):
    id: int
    gate: str
    at: datetime
    direction: str
    outcome: str
    resident_id: int | None
    visitor_id: int | None


class VisitorCreate(_In):
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    purpose: str = Field(default="", max_length=200)
    expected_from: datetime
    expected_until: datetime
    host_resident_id: int | None = None


class VisitorPublic(BaseModel):
    id: int
    host_resident_id: int
    name: str
    phone: str | None
    purpose: str
    expected_from: datetime
    expected_until: datetime


class AlertPublic(BaseModel):
    id: int
    kind: str
    severity: str
    status: str
    scope: str
    source: str
    source_ref: str
    subject_type: str
    subject_id: int | None
    subject_name: str | None
    detail: dict[str, Any]
    assignee_id: int | None
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: int | None
    resolved_at: datetime | None
    resolved_by: int | None
    resolution: str
    version: int


class AlertNote(_In):
    note: str = Field(default="", max_length=500)


class SweepRequest(_In):
    place: str = Field(max_length=64)


class SweepPublic(BaseModel):
    raised: int


class RulePublic(BaseModel):
    kind: str
    enabled: bool
    severity: str
    params: dict[str, Any]


class DeletionPublic(BaseModel):
    id: int
    status: str
    requested_at: datetime
