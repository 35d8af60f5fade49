"""Who a record belongs to, as the policy sees it, and scoped list filters in SQL.

The policy knows two relations: a role granted on a place (covering everything below it) and
ownership. A resident owns their own record; members of one household act for each other
(registration on behalf of a family member, a check-in for an elderly parent), so a
household member is treated as an owner of the other members' records.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from rescity.community.shared.adapters import Resident
from rescity.community.shared.submissions import ResidentRef, resident_of_user, resident_ref
from rescity.core.errors import NotFound
from rescity.core.security.policy import Principal, Target, is_allowed, require, visible_scopes
from rescity.core.storage.flows import Flow, run_flow


class ResidentLike(Protocol):
    """A resident row or a light reference to one: what the policy target needs."""

    @property
    def scope(self) -> str: ...
    @property
    def user_id(self) -> int | None: ...
    @property
    def household_id(self) -> int: ...


def own_resident(session: Session, principal: Principal) -> Resident | None:
    """The resident record linked to the signed-in user, if any."""
    return session.scalar(
        select(Resident).where(Resident.user_id == principal.user_id, Resident.erased_at.is_(None))
    )


def resident_target(
    session: Session, principal: Principal | None, resident: ResidentLike, action: str = ""
) -> Target:
    """The policy target for ``resident``; the household lookup is skipped when a grant on
    the resident's place already allows ``action`` (the common case for staff)."""
    return run_flow(session, resident_target_of(principal, resident, action))


def resident_target_of(
    principal: Principal | None, resident: ResidentLike, action: str = ""
) -> Flow[Target]:
    """:func:`resident_target` as a flow."""
    owner = resident.user_id
    if action and is_allowed(principal, action, Target(scope=resident.scope, owner_id=owner)):
        return Target(scope=resident.scope, owner_id=owner)
    if principal is not None and owner != principal.user_id:
        mine = yield from resident_of_user(principal.user_id)
        if mine is not None and mine.household_id == resident.household_id:
            owner = principal.user_id
    return Target(scope=resident.scope, owner_id=owner)


def get_resident(
    session: Session, principal: Principal, resident_id: int, action: str
) -> Resident:
    """The resident if ``action`` is allowed on it: 404 when there is none *or the caller may
    not even read it* (so a 403 cannot tell who lives where), 403 when they may only read."""
    resident = session.get(Resident, resident_id)
    if resident is None or resident.erased_at is not None:
        raise NotFound(f"no resident {resident_id}")
    target = resident_target(session, principal, resident, action)
    _hide_unreadable(principal, resident_id, action, target)
    require(principal, action, target)
    return resident


def _hide_unreadable(principal: Principal | None, resident_id: int, action: str,
                     target: Target) -> None:
    if not is_allowed(principal, action, target) and not is_allowed(
        principal, "community.resident.read", target
    ):
        raise NotFound(f"no resident {resident_id}")


def allowed_resident(principal: Principal, resident_id: int, action: str) -> Flow[ResidentRef]:
    """:func:`get_resident` as a flow reading only the columns the hot paths need."""
    resident = yield from resident_ref(resident_id)
    if resident is None:
        raise NotFound(f"no resident {resident_id}")
    target = yield from resident_target_of(principal, resident, action)
    _hide_unreadable(principal, resident_id, action, target)
    require(principal, action, target)
    return resident


def scope_filter(
    column: InstrumentedAttribute[str], principal: Principal, action: str
) -> ColumnElement[bool]:
    """SQL condition: the row's scope lies under a place where ``action`` is granted."""
    scopes = visible_scopes(principal, action)
    if not scopes:
        return false()
    return or_(*(column.startswith(s, autoescape=True) for s in scopes))
