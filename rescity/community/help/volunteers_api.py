"""JSON API of volunteers (under ``/api/community``, included by ``help/api.py``): register
(signed in) or sign up (with a new account), one's own record, the grid workers' list and
search, and vetting decisions.

One schema per audience: a volunteer reads their own record (their phone unmasked); a grid
worker reads the list, phones masked unless they hold the reveal right and state a purpose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from rescity.community.cases.deps import Runtime
from rescity.community.help import signup, vetting, volunteers
from rescity.community.help.adapters import Volunteer
from rescity.community.help.domain import Vetting, help_rules
from rescity.core.errors import NotFound
from rescity.core.places import Place
from rescity.core.security.policy import Principal
from rescity.web.deps import CurrentPrincipal, OptionalPrincipal, UoW, allow

router = APIRouter(tags=["community: volunteers"])

Slots = list[dict[str, str]]


class VolunteerIn(BaseModel):
    place: str = Field(max_length=64)
    display_name: str = Field(max_length=100)
    skills: list[str] = Field(max_length=20)
    languages: list[str] = Field(max_length=12)
    areas: list[str] = Field(default_factory=list, max_length=20)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float = 2.0
    availability: dict[str, Any] = Field(default_factory=dict)
    slots: Slots | None = Field(default=None, max_length=28,
                                description='weekly shifts [{"day": "fri", "start": "22:00", '
                                '"end": "02:00"}] in the deployment\'s time zone; none: any time')
    capacity: int = 2
    phone: str = Field(default="", max_length=40)
    consent: bool = False


class SignUpIn(BaseModel):
    """A public sign-up: the account too unless signed in. ``consent`` must be true."""

    grid: str = Field(max_length=64)
    display_name: str = Field(max_length=100)
    phone: str = Field(max_length=40)
    skills: list[str] = Field(max_length=20)
    languages: list[str] = Field(default_factory=lambda: ["zh"], max_length=12)
    slots: Slots = Field(default_factory=list, max_length=28)
    consent: bool = False
    username: str = Field(default="", max_length=64)
    password: str = Field(default="", max_length=200)
    language: str = Field(default="zh", max_length=2)


class VolunteerPublic(BaseModel):
    id: int
    display_name: str
    skills: list[str]
    languages: list[str]
    slots: Slots
    capacity: int
    vetting_state: str
    vetting_reason: str
    vetted_by: str
    vetting_expires_at: datetime | None
    completed: int
    failed: int


def _vol(v: Volunteer) -> VolunteerPublic:
    return VolunteerPublic(id=v.id, display_name=v.display_name, skills=v.skills,
                           languages=v.languages, slots=v.slots, capacity=v.capacity,
                           vetting_state=v.vetting_state, vetting_reason=v.vetting_reason,
                           vetted_by=v.vetted_by, vetting_expires_at=v.vetting_expires_at,
                           completed=v.completed, failed=v.failed)


@router.post("/volunteers", status_code=status.HTTP_201_CREATED)
def register_volunteer(body: VolunteerIn, uow: UoW, rt: Runtime,
                       principal: CurrentPrincipal) -> VolunteerPublic:
    data = volunteers.VolunteerInput(**body.model_dump())
    return _vol(volunteers.register(uow, rt, principal, data, help_rules()))


@router.post("/volunteer-signup", status_code=status.HTTP_201_CREATED)
def sign_up(body: SignUpIn, uow: UoW, rt: Runtime, principal: OptionalPrincipal
            ) -> VolunteerPublic:
    """Sign up as a volunteer of a grid: pending vetting, no offers until vetted."""
    data = signup.SignUp(**body.model_dump())
    return _vol(signup.sign_up(uow, rt, principal, data, help_rules()))


@router.get("/volunteers/me")
def my_volunteer(uow: UoW, principal: CurrentPrincipal) -> VolunteerPublic:
    v = volunteers.own_volunteer(uow.session, principal)
    if v is None:
        raise NotFound("not registered as a volunteer")
    return _vol(v)


class SlotsIn(BaseModel):
    slots: Slots = Field(max_length=28)


@router.put("/volunteers/me/slots")
def my_slots(body: SlotsIn, uow: UoW, rt: Runtime, principal: CurrentPrincipal
             ) -> VolunteerPublic:
    return _vol(signup.set_slots(uow, rt, principal, body.slots))


class VolunteerListed(BaseModel):
    id: int
    display_name: str
    place: str  # the code of the grid (or community) they volunteer in
    skills: list[str]
    languages: list[str]
    slots: Slots
    vetting_state: str
    vetting_reason: str
    vetted: bool  # vetted and the vetting still valid
    available_now: bool
    phone: str
    phone_revealed: bool


@router.get("/volunteers")
def list_volunteers(
    uow: UoW, rt: Runtime,
    principal: Annotated[Principal, Depends(allow(vetting.LIST_ACTION))],
    skill: Annotated[str, Query(max_length=30)] = "",
    grid: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[str, Query(max_length=10)] = "",
    available_now: bool = False,
    purpose: Annotated[str, Query(max_length=30)] = "",
) -> list[VolunteerListed]:
    found = vetting.search(uow, rt, principal, vetting.Search(
        skill=skill, grid=grid, state=state, available_now=available_now, purpose=purpose),
        help_rules().skills)
    codes = dict(uow.session.query(Place.path, Place.code).filter(
        Place.path.in_({f.volunteer.scope for f in found})).all()) if found else {}
    return [VolunteerListed(
        id=f.volunteer.id, display_name=f.volunteer.display_name,
        place=codes.get(f.volunteer.scope, ""), skills=f.volunteer.skills,
        languages=f.volunteer.languages, slots=f.volunteer.slots,
        vetting_state=f.volunteer.vetting_state, vetting_reason=f.volunteer.vetting_reason,
        vetted=f.vetted, available_now=f.available_now, phone=f.phone,
        phone_revealed=f.revealed) for f in found]


class VetIn(BaseModel):
    state: Vetting
    organisation: str = Field(default="", max_length=200)
    reason: str = Field(default="", max_length=300)
    valid_days: int = 365


@router.post("/volunteers/{volunteer_id}/vet")
def vet_volunteer(volunteer_id: int, body: VetIn, uow: UoW, rt: Runtime,
                  principal: CurrentPrincipal) -> VolunteerPublic:
    """Approve (``vetted``, naming the organisation), reject or suspend (with a reason)."""
    return _vol(vetting.decide(uow, rt, principal, volunteer_id, state=body.state,
                               organisation=body.organisation, reason=body.reason,
                               valid_days=body.valid_days))
