"""Who may manage whom: the domain rules of people administration, without storage.

An *administrator* is a principal with ``user.manage`` on some places (its *reach*: the
scopes of its ``city_admin`` and ``community_admin`` grants). The rules:

- A role may be granted or withdrawn only on a place inside the reach, and only if the
  administrator may hand out that role there: a ``city_admin`` grants any role, a
  ``community_admin`` only the place-bound roles (:data:`COMMUNITY_GRANTABLE`, itself
  included). Roles whose actions are not tied to places (knowledge editor, analyst) and
  ``city_admin`` would reach beyond the community, so a community administrator can never
  grant them: no role above its own scope, no admin rights it does not have.
- An account as a whole (disable, enable, reset its password, revoke its tokens, end its
  sessions) may be managed only when *every* grant of the user lies inside the reach and
  every role of the user is one the administrator could grant there: a community
  administrator never touches a city administrator, nor a user who also works elsewhere.
  A user without any grant belongs to no place: only an administrator whose reach includes a
  top-level place (a whole city) manages them.
- Nobody disables, resets or withdraws administrator roles from their own account (the
  self-service password change is for that), so an office cannot lock itself out by a slip.
- An administrator *sees* a user when it manages the account or when any of the user's grants
  lies inside its reach (it can then grant and withdraw roles on its own places).
"""

from __future__ import annotations

from dataclasses import dataclass

from rescity.core.errors import InputError, PermissionDenied, Problem
from rescity.core.places import contains
from rescity.core.security.policy import Grant, Principal, Role

MANAGE = "user.manage"
ADMIN_ROLES = frozenset({Role.CITY_ADMIN, Role.COMMUNITY_ADMIN})

# Roles whose every action is checked against a place: granted on a community or grid they
# give nothing outside it.
COMMUNITY_GRANTABLE = frozenset({
    Role.RESIDENT, Role.VOLUNTEER, Role.GRID_WORKER, Role.HEALTH_OFFICER, Role.DEPARTMENT,
    Role.PROPERTY_MANAGER, Role.COMMUNITY_ADMIN,
})
GRANTABLE_BY: dict[Role, frozenset[Role]] = {
    Role.CITY_ADMIN: frozenset(Role),
    Role.COMMUNITY_ADMIN: COMMUNITY_GRANTABLE,
}


@dataclass(frozen=True)
class Account:
    """What the rules need to know about a user being managed."""

    user_id: int
    username: str
    grants: tuple[Grant, ...]


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InputError([Problem("role", f"unknown role '{value}'; one of "
                                          f"{', '.join(r.value for r in Role)}")]) from None


def reach(actor: Principal) -> list[Grant]:
    """The actor's administrator grants (the places it manages people in)."""
    return [g for g in actor.grants if g.role in GRANTABLE_BY]


def is_top_level(scope: str) -> bool:
    return scope.count("/") <= 2  # "/1/": a place without a parent ("/": everywhere)


def may_grant(actor: Principal, role: Role, scope: str) -> bool:
    """Whether ``actor`` may grant (or withdraw) ``role`` on the place at ``scope``."""
    return any(contains(g.scope, scope) and role in GRANTABLE_BY[g.role] for g in reach(actor))


def require_grant(actor: Principal, role: Role, scope: str, *, place: str = "") -> None:
    if may_grant(actor, role, scope):
        return
    where = f" on {place}" if place else ""
    if not any(contains(g.scope, scope) for g in reach(actor)):
        raise PermissionDenied(f"{actor.username} does not manage people{where}: "
                               "the place is outside their scope")
    raise PermissionDenied(f"{actor.username} may not grant the role {role.value}{where}")


def manages_account(actor: Principal, account: Account) -> bool:
    if not account.grants:
        return any(is_top_level(g.scope) for g in reach(actor))
    return all(may_grant(actor, g.role, g.scope) for g in account.grants)


def require_account(actor: Principal, account: Account, action: str) -> None:
    """Refuse an account-wide action (disable, enable, reset, revoke tokens) unless allowed."""
    if account.user_id == actor.user_id:
        raise PermissionDenied(f"{actor.username} may not {action} their own account here")
    if not manages_account(actor, account):
        raise PermissionDenied(f"{actor.username} may not {action} '{account.username}': "
                               "the user has roles outside their scope")


def require_role_change(actor: Principal, account: Account, role: Role, scope: str, *,
                        place: str = "", withdraw: bool = False) -> None:
    """Refuse granting (or withdrawing) ``role`` at ``scope`` to ``account`` unless allowed:
    the actor may grant that role there, and the user is no administrator beyond the actor
    (a community administrator does not change a city administrator's roles at all)."""
    if withdraw and account.user_id == actor.user_id and role in ADMIN_ROLES:
        raise PermissionDenied(f"{actor.username} may not withdraw their own {role.value} role")
    require_grant(actor, role, scope, place=place)
    for g in account.grants:
        if g.role in ADMIN_ROLES and not may_grant(actor, g.role, g.scope):
            raise PermissionDenied(f"{actor.username} may not change the roles of "
                                   f"'{account.username}', an administrator beyond their scope")


def sees(actor: Principal, account: Account) -> bool:
    return manages_account(actor, account) or any(
        contains(r.scope, g.scope) for r in reach(actor) for g in account.grants)


def visible_scopes(actor: Principal) -> list[str]:
    """Place paths whose users the actor may list (for the search query)."""
    return sorted({g.scope for g in reach(actor)})


def sees_unplaced(actor: Principal) -> bool:
    """Whether users without any grant show up in the actor's list."""
    return any(is_top_level(g.scope) for g in reach(actor))
