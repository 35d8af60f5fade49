"""Grid workers' side of volunteers: find them (by skill, grid, state, who is available now)
and decide on them (approve, reject with a reason, suspend with a reason, reinstate).

Phones are sealed; the list shows them masked, and unmasked only to a caller holding
``community.volunteer.reveal`` on the volunteer's place who states an accepted purpose
(``personal_fields_ops.toml``), with an audit row naming whose phones were read.

Decisions::

    pending -approve-> vetted -suspend-> suspended -approve-> vetted
    pending / suspended / vetted -reject-> rejected

Only a vetted volunteer is offered requests. Suspending or rejecting withdraws the offers
they hold (open and accepted ones: they no longer see the resident's contact details) and
puts those requests back for matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help import shifts
from rescity.community.help.adapters import HelpOffer, HelpRequest, Volunteer
from rescity.community.help.domain import HelpStatus, OfferState, Vetting
from rescity.community.help.status import refresh_status
from rescity.community.help.volunteers import PHONE_CONTEXT, is_vetted, may_vet
from rescity.community.shared import notices
from rescity.community.shared.errors import BadTransition
from rescity.core import audit
from rescity.core.accounts import RoleGrant, User, grant_role
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, PermissionDenied, Problem
from rescity.core.places import Place, community_path, contains
from rescity.core.security.personal_data import mask
from rescity.core.security.policy import Principal, Role, Target, is_allowed, visible_scopes
from rescity.core.storage.uow import UnitOfWork

# Which decision may follow which state (a vetted volunteer may be approved again: renewal).
FROM = {
    Vetting.VETTED: {Vetting.PENDING, Vetting.VETTED, Vetting.SUSPENDED},
    Vetting.REJECTED: {Vetting.PENDING, Vetting.VETTED, Vetting.SUSPENDED},
    Vetting.SUSPENDED: {Vetting.VETTED},
}
LIST_ACTION = "community.volunteer.list"
REVEAL_ACTION = "community.volunteer.reveal"
LIMIT = 500


def decide(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, volunteer_id: int, *,
           state: Vetting, organisation: str = "", reason: str = "", valid_days: int = 365
           ) -> Volunteer:
    """Record a vetting decision on a volunteer of the caller's grid (or community)."""
    s, now = uow.session, rt.now()
    v = s.get(Volunteer, volunteer_id)
    if v is None:
        raise NotFound(f"no volunteer {volunteer_id}")
    if not may_vet(principal, v.scope):
        raise PermissionDenied(f"{principal.username} may not vet volunteers of this place")
    problems = []
    if state not in FROM:
        problems.append(Problem("state", "vetted, rejected or suspended"))
    elif state == Vetting.VETTED and not organisation.strip():
        problems.append(Problem("organisation", "who vetted the volunteer"))
    elif state != Vetting.VETTED and not reason.strip():
        problems.append(Problem("reason", "why the volunteer is " + state.value))
    if not 1 <= valid_days <= 3 * 365:
        problems.append(Problem("valid_days", "1 to 1095"))
    if problems:
        raise InputError(problems, source="vetting")
    if Vetting(v.vetting_state) not in FROM[state]:
        raise BadTransition(f"volunteer {v.id} is {v.vetting_state}: cannot be {state.value}")
    v.vetting_state, v.vetted_at = state.value, now
    if state == Vetting.VETTED:
        v.vetted_by, v.vetting_reason = organisation.strip()[:200], ""
        v.vetting_expires_at = now + timedelta(days=valid_days)
        _ensure_role(s, v)
    else:
        v.vetting_reason = reason.strip()[:300]
        v.vetting_expires_at = None
        withdrawn = _withdraw_offers(s, v, now)
    notices.tell(s, [v.user_id], notices.vetting(v.id, state.value, v.vetting_reason, now), now)
    audit.record(s, principal, kind=AuditKind.WRITE, action="community.volunteer.vet",
                 record_type="volunteer", record_id=v.id, scope=v.scope,
                 detail={"state": state.value, "organisation": v.vetted_by,
                         "reason": v.vetting_reason,
                         **({} if state == Vetting.VETTED else {"withdrawn": withdrawn})})
    uow.commit()
    return v


def _ensure_role(s: Session, v: Volunteer) -> None:
    """A volunteer who signed up without being anyone's resident gets the volunteer role on
    their place when approved (it lets them answer offers)."""
    place = s.scalar(select(Place).where(Place.path == v.scope))
    user = s.get(User, v.user_id)
    if place is None or user is None:
        return
    held = s.scalar(select(RoleGrant.id).where(
        RoleGrant.user_id == user.id, RoleGrant.role == Role.VOLUNTEER.value,
        RoleGrant.place_id == place.id))
    if held is None:
        grant_role(s, user, Role.VOLUNTEER, place)


def _withdraw_offers(s: Session, v: Volunteer, now: datetime) -> int:
    offers = list(s.scalars(select(HelpOffer).where(
        HelpOffer.volunteer_id == v.id,
        HelpOffer.state.in_([OfferState.OFFERED, OfferState.ACCEPTED]))))
    for offer in offers:
        offer.state, offer.responded_at = OfferState.WITHDRAWN.value, now
    s.flush()
    for rid in {o.request_id for o in offers}:
        req = s.get(HelpRequest, rid)
        if req is None:
            continue
        if req.status == HelpStatus.IN_PROGRESS:  # the help had started: back to accepted
            req.status = HelpStatus.ACCEPTED.value
        refresh_status(s, req, now)
    return len(offers)


# --- Finding volunteers ------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    skill: str = ""
    grid: str = ""          # a place code: volunteers of that place and below
    state: str = ""         # a vetting state
    available_now: bool = False
    purpose: str = ""       # to see phones unmasked (with the reveal right)


@dataclass(frozen=True)
class Found:
    volunteer: Volunteer
    phone: str              # masked unless revealed
    revealed: bool
    available_now: bool
    vetted: bool            # vetted and the vetting still valid


def _scope_filter(principal: Principal) -> list[ColumnElement[bool]]:
    """The volunteers the caller may list: those of places under a grant allowing it, and
    those registered on the community of such a place (they serve all of its grids)."""
    scopes = visible_scopes(principal, LIST_ACTION)
    homes = {h for sc in scopes if (h := community_path(sc)) is not None}
    return [*(Volunteer.scope.startswith(sc, autoescape=True) for sc in scopes),
            Volunteer.scope.in_(sorted(homes))] if scopes else []


def search(uow: UnitOfWork, rt: OpsRuntime, principal: Principal, q: Search,
           rules_skills: tuple[str, ...]) -> list[Found]:
    """Volunteers within the caller's scope matching ``q``, newest first; reading phones
    unmasked is audited (one row naming the volunteers)."""
    s, now = uow.session, rt.now()
    problems = []
    if q.skill and q.skill not in rules_skills:
        problems.append(Problem("skill", f"one of {', '.join(rules_skills)}"))
    if q.state and q.state not in set(Vetting):
        problems.append(Problem("state", f"one of {', '.join(Vetting)}"))
    policy = rt.fields.get("volunteer", "phone")
    if q.purpose and q.purpose not in policy.reveal_purposes:
        problems.append(Problem("purpose", f"one of {', '.join(policy.reveal_purposes)}"))
    grid_path = ""
    if q.grid:
        place = s.scalar(select(Place).where(Place.code == q.grid))
        if place is None:
            problems.append(Problem("grid", f"no place '{q.grid}'"))
        else:
            grid_path = place.path
    if problems:
        raise InputError(problems, source="volunteer search")
    cond = _scope_filter(principal)
    if not cond:
        raise PermissionDenied(f"{principal.username} may not list volunteers")
    stmt = select(Volunteer).where(or_(*cond)).order_by(Volunteer.id.desc()).limit(LIMIT)
    if q.state:
        stmt = stmt.where(Volunteer.vetting_state == q.state)
    if grid_path:
        # the grid's own volunteers, and those of its community who serve every grid of it
        stmt = stmt.where(or_(Volunteer.scope.startswith(grid_path, autoescape=True),
                              Volunteer.scope == (community_path(grid_path) or grid_path)))
    rows = [v for v in s.scalars(stmt) if not q.skill or q.skill in v.skills]
    out: list[Found] = []
    revealed: list[int] = []
    for v in rows:
        free = shifts.available_at(shifts.load_slots(v.slots), now, rt.zone)
        if q.available_now and not (free and is_vetted(v, now) and v.active):
            continue
        phone = ""
        show = False
        if v.phone_sealed:
            phone = rt.cipher.open(v.phone_sealed, context=PHONE_CONTEXT)
            show = bool(q.purpose) and is_allowed(principal, REVEAL_ACTION, Target(scope=v.scope))
            if show:
                revealed.append(v.id)
            else:
                phone = mask(phone)
        out.append(Found(v, phone, show, free, is_vetted(v, now)))
    if q.purpose and not revealed and rows and not any(
            is_allowed(principal, REVEAL_ACTION, Target(scope=v.scope)) for v in rows):
        raise PermissionDenied(f"{principal.username} may not see volunteers' phones")
    if revealed:
        audit.record(s, principal, kind=AuditKind.READ, action=REVEAL_ACTION,
                     record_type="volunteer", record_id=",".join(map(str, revealed))[:200],
                     purpose=q.purpose, detail={"volunteers": revealed})
        uow.commit()
    return out


def in_scope(principal: Principal, v: Volunteer) -> bool:
    scopes = visible_scopes(principal, LIST_ACTION)
    return any(contains(sc, v.scope) or community_path(sc) == v.scope for sc in scopes)
