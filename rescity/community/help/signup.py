"""Signing up as a volunteer of a grid, from the public page or the API: the person's name,
phone (sealed), grid, skills, weekly shifts and consent to the sign-up text; someone not
signed in creates their account in the same step.

Anyone may sign up for any grid: the sign-up is *pending* and is offered nothing until a
worker of that grid vets it (:mod:`rescity.community.help.vetting`), who then also grants the
volunteer role. A volunteer changes their own shifts later with :func:`set_slots`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help import shifts
from rescity.community.help.adapters import Volunteer
from rescity.community.help.domain import HelpRules
from rescity.community.help.volunteers import VolunteerInput, create, own_volunteer
from rescity.core import audit
from rescity.core.accounts import create_user
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.places import Place, PlaceLevel
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork

MIN_PASSWORD = 10


@dataclass(frozen=True)
class SignUp:
    grid: str
    display_name: str
    phone: str
    skills: list[str]
    languages: list[str] = field(default_factory=lambda: ["zh"])
    slots: list[dict[str, str]] = field(default_factory=list)
    consent: bool = False
    username: str = ""  # for someone not signed in: the account to create
    password: str = ""
    language: str = "zh"


def sign_up(uow: UnitOfWork, rt: OpsRuntime, principal: Principal | None, data: SignUp,
            rules: HelpRules) -> Volunteer:
    s = uow.session
    problems = []
    if not data.consent:
        problems.append(Problem("consent", "agree to the text above to sign up"))
    if not data.phone.strip():
        problems.append(Problem("phone", "a number the grid worker can call"))
    if principal is None:
        if not data.username.strip():
            problems.append(Problem("username", "choose a user name to sign in with"))
        if len(data.password) < MIN_PASSWORD:
            problems.append(Problem("password", f"at least {MIN_PASSWORD} characters"))
    unknown = [x for x in data.skills if x not in rules.skills]
    if unknown:
        problems.append(Problem("skills", f"unknown {unknown}; one of {list(rules.skills)}"))
    try:
        shifts.parse_slots(data.slots)
    except InputError as exc:
        problems.extend(exc.problems)
    grid = s.scalar(select(Place).where(Place.code == data.grid))
    if grid is None or grid.level != PlaceLevel.GRID:
        problems.append(Problem("grid", f"no grid '{data.grid}'"))
    if problems:
        raise InputError(problems, source="volunteer sign-up")
    assert grid is not None
    with s.no_autoflush:
        if principal is None:
            user = create_user(s, username=data.username.strip(), password=data.password,
                               display_name=data.display_name.strip()[:100] or data.username,
                               language=data.language)
            user_id = user.id
        else:
            user_id = principal.user_id
        v = create(s, rt, user_id, grid, VolunteerInput(
            place=grid.code, display_name=data.display_name, skills=data.skills,
            languages=data.languages, slots=data.slots, phone=data.phone.strip(),
            consent=True), rules)
    audit.record(s, principal, kind=AuditKind.WRITE, action="community.volunteer.sign_up",
                 record_type="volunteer", record_id=v.id, scope=grid.path,
                 detail={"user": user_id, "new_account": principal is None})
    uow.commit()
    return v


def set_slots(uow: UnitOfWork, rt: OpsRuntime, principal: Principal,
              raw: list[dict[str, str]]) -> Volunteer:
    """A volunteer replaces their weekly shifts (an empty list: any time)."""
    s = uow.session
    v = own_volunteer(s, principal)
    if v is None:
        raise NotFound("not registered as a volunteer")
    v.slots = [slot.as_dict() for slot in shifts.parse_slots(raw)]
    audit.record(s, principal, kind=AuditKind.WRITE, action="community.volunteer.update",
                 record_type="volunteer", record_id=v.id, scope=v.scope,
                 detail={"slots": len(v.slots)})
    uow.commit()
    return v
