"""Self-registration with an invitation code (or its QR) for a community or grid.

A grid worker issues a code; a resident scans the QR (a link with the code), creates an
account and registers their household in one step. The code is the only authority needed,
so it expires and has a use limit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from rescity.community.residents.adapters import Invitation
from rescity.community.residents.domain import Channel
from rescity.community.residents.households import ensure_dwelling, grid_of, new_household
from rescity.community.residents.services import NewResident, build_resident
from rescity.community.shared.adapters import Resident
from rescity.community.shared.runtime import Runtime
from rescity.core import audit
from rescity.core.accounts import create_user, grant_role
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.places import PlaceLevel, get_place
from rescity.core.security.policy import Principal, Role, Target, require
from rescity.core.storage.uow import UnitOfWork

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone


def create_invitation(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, place_code: str, days: int = 14,
    max_uses: int = 200,
) -> Invitation:
    session = uow.session
    place = get_place(session, place_code)
    if place.level not in (PlaceLevel.COMMUNITY, PlaceLevel.GRID):
        raise InputError([Problem("place", "invitations are for a community or a grid")])
    require(principal, "community.invitation.create", Target(scope=place.path))
    if not 1 <= days <= 90 or not 1 <= max_uses <= 10_000:
        raise InputError([Problem("days", "1–90 days, 1–10000 uses")])
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    invitation = Invitation(
        place_id=place.id, scope=place.path, code=code, created_by=principal.user_id,
        created_at=rt.now(), expires_at=rt.now() + timedelta(days=days), max_uses=max_uses,
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.invitation.create",
        record_type="invitation", record_id=invitation.id, scope=place.path,
    )
    uow.commit()
    return invitation


@dataclass(frozen=True)
class SelfRegistration:
    code: str
    username: str
    password: str
    grid_code: str
    building: str
    unit: str
    room: str
    resident: NewResident
    language: str = "zh"


@dataclass(frozen=True)
class Registered:
    user_id: int
    resident_id: int
    household_id: int
    at: datetime


def valid_invitation(uow: UnitOfWork, rt: Runtime, code: str) -> Invitation:
    invitation = uow.session.scalar(
        select(Invitation).where(Invitation.code == code.strip().upper())
    )
    if invitation is None or invitation.expires_at <= rt.now() or (
        invitation.uses >= invitation.max_uses
    ):
        raise NotFound("this invitation code is unknown, expired or used up")
    return invitation


def self_register(uow: UnitOfWork, rt: Runtime, data: SelfRegistration) -> Registered:
    """Create the account, the household and the resident; grant the resident role."""
    session = uow.session
    invitation = valid_invitation(uow, rt, data.code)
    grid = grid_of(session, data.grid_code)
    if not grid.path.startswith(invitation.scope):
        raise InputError([Problem("grid", "this grid is not covered by the invitation")])
    problems: list[Problem] = []
    if len(data.password) < 10:
        problems.append(Problem("password", "at least 10 characters"))
    if problems:
        raise InputError(problems, source="registration")
    # Count the use in one conditional UPDATE: parallel registrations cannot all pass a
    # check made before any of them counted (nor overwrite each other's count).
    taken = session.execute(
        update(Invitation).where(
            Invitation.id == invitation.id, Invitation.uses < Invitation.max_uses,
            Invitation.expires_at > rt.now(),
        ).values(uses=Invitation.uses + 1).execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound("this invitation code is unknown, expired or used up")
    user = create_user(
        session, username=data.username, password=data.password,
        display_name=data.resident.name, language=data.language,
    )
    grant_role(session, user, Role.RESIDENT, grid)
    household = new_household(
        session, ensure_dwelling(session, grid, data.building, data.unit, data.room)
    )
    resident: Resident = build_resident(
        session, rt, household, data.resident, channel=Channel.SELF, by=None, user_id=user.id
    )
    audit.record(
        session, None, kind=AuditKind.WRITE, action="community.resident.self_register",
        record_type="resident", record_id=resident.id, scope=resident.scope,
        detail={"invitation": invitation.id, "user": user.id},
    )
    uow.commit()
    return Registered(user.id, resident.id, household.id, rt.now())
