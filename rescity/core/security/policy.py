"""The one authorization decision: may this principal do this action on this target?

Every API endpoint and page goes through :func:`is_allowed` / :func:`require` (in the web
layer as a FastAPI dependency). Deny by default: an action that no role of the principal
lists is refused. The rules are data in ``permissions.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources

from rescity.core.errors import PermissionDenied
from rescity.core.places import contains


class Role(StrEnum):
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    GRID_WORKER = "grid_worker"
    HEALTH_OFFICER = "health_officer"
    DEPARTMENT = "department"
    PROPERTY_MANAGER = "property_manager"
    KNOWLEDGE_EDITOR = "knowledge_editor"
    ANALYST = "analyst"
    COMMUNITY_ADMIN = "community_admin"
    CITY_ADMIN = "city_admin"


@dataclass(frozen=True)
class Grant:
    role: Role
    scope: str  # the place path the role is granted on, e.g. "/1/4/"


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    grants: tuple[Grant, ...] = ()

    def has_role(self, role: Role) -> bool:
        return any(g.role == role for g in self.grants)


@dataclass(frozen=True)
class Target:
    """What an action is on: a scope (place path) and/or an owner.

    ``scope=None`` means the record belongs to no place (an initiative, a city profile):
    then any grant of a role that lists the action allows it.
    """

    scope: str | None = None
    owner_id: int | None = None


NOWHERE = Target()


@dataclass(frozen=True)
class RoleRules:
    scoped: frozenset[str] = field(default_factory=frozenset)
    own: frozenset[str] = field(default_factory=frozenset)


@cache
def rules() -> dict[str, RoleRules]:
    text = resources.files("rescity.core.security").joinpath("permissions.toml").read_text("utf-8")
    data = tomllib.loads(text)
    known = {r.value for r in Role} | {"anonymous", "authenticated"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"permissions.toml: unknown roles {sorted(unknown)}")
    return {
        name: RoleRules(frozenset(v.get("scoped", [])), frozenset(v.get("own", [])))
        for name, v in data.items()
    }


def _matches(patterns: frozenset[str], action: str) -> bool:
    if action in patterns or "*" in patterns:
        return True
    parts = action.split(".")
    return any(".".join(parts[:i]) + ".*" in patterns for i in range(1, len(parts)))


def is_allowed(principal: Principal | None, action: str, target: Target = NOWHERE) -> bool:
    table = rules()
    if principal is None:
        return _matches(table["anonymous"].scoped, action)
    owns = target.owner_id is not None and target.owner_id == principal.user_id
    base = table["authenticated"]
    if _matches(base.scoped, action) or (owns and _matches(base.own, action)):
        return True
    for grant in principal.grants:
        role_rules = table.get(grant.role.value)
        if role_rules is None:
            continue
        if owns and _matches(role_rules.own, action):
            return True
        if _matches(role_rules.scoped, action) and (
            target.scope is None or contains(grant.scope, target.scope)
        ):
            return True
    return False


def uses_module(principal: Principal | None, module: str) -> bool:
    """Whether any role of ``principal`` lists an action of ``module`` (scoped or own).

    For navigation only: a menu entry is shown to those who can do something behind it.
    Actions every signed-in user has (the ``authenticated`` rules) do not count.
    """
    if principal is None:
        return False
    table = rules()
    for grant in principal.grants:
        role_rules = table.get(grant.role.value)
        if role_rules is not None and any(
            p == "*" or p.startswith(f"{module}.") for p in role_rules.scoped | role_rules.own
        ):
            return True
    return False


def require(principal: Principal | None, action: str, target: Target = NOWHERE) -> None:
    if not is_allowed(principal, action, target):
        who = principal.username if principal else "anonymous"
        raise PermissionDenied(f"{who} may not {action} here")


def visible_scopes(principal: Principal, action: str) -> list[str]:
    """Place paths under which ``action`` is allowed: for filtering list queries in SQL."""
    table = rules()
    return sorted(
        {
            g.scope
            for g in principal.grants
            if (r := table.get(g.role.value)) is not None and _matches(r.scoped, action)
        }
    )
