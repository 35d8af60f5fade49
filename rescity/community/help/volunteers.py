"""Volunteers: registration (skills, languages, areas, weekly shift slots, capacity) and the
rules of who vets whom; the decisions themselves are in :mod:`rescity.community.help.vetting`
and the public sign-up in :mod:`rescity.community.help.signup`. A vetting expires, after which
it no longer counts, and only a vetted volunteer is offered requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help import domain as hr
from rescity.community.help import shifts
from rescity.community.help.adapters import Volunteer
from rescity.community.help.domain import HelpRules, Vetting
from rescity.core import audit
from rescity.core.accounts import RoleGrant, User, grant_role
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, PermissionDenied, Problem
from rescity.core.places import Place, community_path, contains, get_place
from rescity.core.security.policy import Principal, Role, Target, is_allowed
from rescity.core.storage.uow import UnitOfWork

PHONE_CONTEXT = "volunteer.phone"


@dataclass(frozen=True)
class VolunteerInput:
    place: str
    display_name: str
    skills: list[str]
    languages: list[str]
    areas: list[str] = field(default_factory=list)  # place codes served besides the radius
    lat: float | None = None
    lon: float | None = None
    radius_km: float = 2.0
    availability: dict[str, Any] = field(default_factory=dict)  # whole hours (older form)
    capacity: int = 2
    phone: str = ""
    slots: list[dict[str, str]] | None = None  # weekly shifts; none given: any time
    consent: bool = False  # agreed to the sign-up's consent text (CONSENT_VERSION)


CONSENT_VERSION = "2026-12"  # the text shown as c.volunteer.consent; bump when it changes


def _check(session: Session, data: VolunteerInput, rules: HelpRules, place_path: str
           ) -> tuple[list[str], list[dict[str, str]]]:
    problems = rules.check_languages(data.languages, "languages")
    bad = [s for s in data.skills if s not in rules.skills]
    if bad:
        problems.append(Problem("skills", f"unknown {bad}; one of {list(rules.skills)}"))
    if not data.languages:
        problems.append(Problem("languages", "at least one"))
    if not 1 <= data.capacity <= 20:
        problems.append(Problem("capacity", "1 to 20 requests at a time"))
    if not 0.1 <= data.radius_km <= 50:
        problems.append(Problem("radius_km", "0.1 to 50 km"))
    if (data.lat is None) != (data.lon is None):
        problems.append(Problem("lat/lon", "give both or neither"))
    if not data.display_name.strip():
        problems.append(Problem("display_name", "must not be empty"))
    paths = []
    home = community_path(place_path)
    for code in data.areas:
        try:
            path = get_place(session, code).path
        except NotFound:
            problems.append(Problem("areas", f"no place '{code}'"))
            continue
        if home is None or not contains(home, path):
            problems.append(Problem("areas", f"'{code}' is outside the volunteer's community"))
        paths.append(path)
    slots: list[dict[str, str]] = []
    try:
        hr.availability_hours(data.availability)
        raw = data.slots if data.slots is not None else shifts.slots_from_hours(
            data.availability)
        slots = [s.as_dict() for s in shifts.parse_slots(raw)]
    except InputError as exc:
        problems.extend(exc.problems)
    if len(data.phone) > 40 or (data.phone and not _phone_like(data.phone)):
        problems.append(Problem("phone", "digits, spaces, + and - only (at most 40)"))
    if problems:
        raise InputError(problems, source="volunteer")
    return paths, slots


def normal_phone(value: str) -> str:
    """``139 1234-5678`` → ``13912345678`` (digits and a leading +), as dialled."""
    value = value.strip()
    return ("+" if value.startswith("+") else "") + "".join(c for c in value if c.isdigit())


def _phone_like(value: str) -> bool:
    return all(c.isdigit() or c in " +-()" for c in value) and any(c.isdigit() for c in value)


def may_register(principal: Principal, place_path: str) -> bool:
    """Volunteers register in their own community: a resident of it, or someone staff made a
    volunteer there (an invitation); staff with the right on the place register themselves."""
    if is_allowed(principal, "community.volunteer.register", Target(scope=place_path)):
        return True
    home = community_path(place_path)
    return home is not None and any(
        g.role in (Role.RESIDENT, Role.VOLUNTEER) and community_path(g.scope) == home
        for g in principal.grants)


def may_vet(principal: Principal, volunteer_scope: str) -> bool:
    """A volunteer of a grid is vetted by the grid's workers (or anyone above it); one who
    serves a whole community, by a worker of any of its grids."""
    if is_allowed(principal, "community.volunteer.vet", Target(scope=volunteer_scope)):
        return True
    home = community_path(volunteer_scope)
    return home == volunteer_scope and any(
        contains(home, g.scope) and is_allowed(principal, "community.volunteer.vet",
                                               Target(scope=g.scope))
        for g in principal.grants)


def register(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, data: VolunteerInput,
             rules: HelpRules) -> Volunteer:
    """A signed-in person of the community offers to help; they get the volunteer role on
    their place at once, and wait for vetting before any request is offered to them."""
    s = uow.session
    place = get_place(s, data.place)
    if community_path(place.path) is None:
        raise InputError([Problem("place", "a community or a grid")], source="volunteer")
    if not may_register(principal, place.path):
        raise PermissionDenied(
            f"{principal.username} may register as a volunteer only in their own community")
    v = create(s, rt, principal.user_id, place, data, rules)
    has_role = s.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == principal.user_id, RoleGrant.role == Role.VOLUNTEER.value,
        RoleGrant.place_id == place.id))
    if not has_role:
        user = s.get(User, principal.user_id)
        assert user is not None
        grant_role(s, user, Role.VOLUNTEER, place)
    s.flush()
    audit.record(s, principal, kind=AuditKind.WRITE, action="community.volunteer.register",
                 record_type="volunteer", record_id=v.id, scope=place.path)
    uow.commit()
    return v


def create(s: Session, rt: OpsRuntime, user_id: int, place: Place, data: VolunteerInput,
           rules: HelpRules) -> Volunteer:
    """The volunteer row, pending vetting (checked input, the phone sealed); no commit."""
    if s.scalar(select(Volunteer.id).where(Volunteer.user_id == user_id)):
        raise Conflict("already registered as a volunteer")
    areas, slots = _check(s, data, rules, place.path)
    phone = normal_phone(data.phone)
    v = Volunteer(
        user_id=user_id, scope=place.path, display_name=data.display_name.strip(),
        phone_sealed=rt.cipher.seal(phone, context=PHONE_CONTEXT) if phone else None,
        skills=sorted(set(data.skills)), languages=list(dict.fromkeys(data.languages)),
        areas=areas, lat=data.lat, lon=data.lon, radius_km=data.radius_km,
        availability=data.availability, slots=slots, capacity=data.capacity,
        vetting_state=Vetting.PENDING.value, created_at=rt.now(),
        consent_at=rt.now() if data.consent else None,
        consent_version=CONSENT_VERSION if data.consent else "",
    )
    s.add(v)
    s.flush()
    return v


def is_vetted(v: Volunteer, now: datetime) -> bool:
    return v.vetting_state == Vetting.VETTED and (
        v.vetting_expires_at is None or v.vetting_expires_at > now)


def own_volunteer(session: Session, principal: Principal) -> Volunteer | None:
    return session.scalar(select(Volunteer).where(Volunteer.user_id == principal.user_id))
