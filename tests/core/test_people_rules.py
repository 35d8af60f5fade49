"""Who may manage whom (pure rules, no database).

Hierarchy as in test_policy: city /1/, district /1/2/, sub-district /1/2/3/, community A
/1/2/3/4/ with grid /1/2/3/4/5/, community B /1/2/3/6/ with grid /1/2/3/6/7/.
"""

from __future__ import annotations

import pytest

from rescity.core.errors import InputError, PermissionDenied
from rescity.core.people import rules
from rescity.core.people.rules import Account
from rescity.core.security.policy import Grant, Principal, Role, is_allowed

CITY, SUB = "/1/", "/1/2/3/"
COMM_A, GRID_A = "/1/2/3/4/", "/1/2/3/4/5/"
COMM_B, GRID_B = "/1/2/3/6/", "/1/2/3/6/7/"

CITY_ADMIN = Principal(1, "boss", (Grant(Role.CITY_ADMIN, CITY),))
COMMUNITY_ADMIN = Principal(2, "office-a", (Grant(Role.COMMUNITY_ADMIN, COMM_A),))
GRID_WORKER = Principal(3, "worker", (Grant(Role.GRID_WORKER, GRID_A),))


def acc(uid: int, *grants: tuple[Role, str]) -> Account:
    return Account(uid, f"user{uid}", tuple(Grant(r, s) for r, s in grants))


@pytest.mark.parametrize(("actor", "role", "scope", "allowed"), [
    (COMMUNITY_ADMIN, Role.GRID_WORKER, GRID_A, True),
    (COMMUNITY_ADMIN, Role.GRID_WORKER, COMM_A, True),
    (COMMUNITY_ADMIN, Role.COMMUNITY_ADMIN, GRID_A, True),  # rights it has itself
    (COMMUNITY_ADMIN, Role.GRID_WORKER, GRID_B, False),  # another community
    (COMMUNITY_ADMIN, Role.GRID_WORKER, SUB, False),  # above its own place
    (COMMUNITY_ADMIN, Role.CITY_ADMIN, GRID_A, False),  # admin rights it does not have
    (COMMUNITY_ADMIN, Role.KNOWLEDGE_EDITOR, GRID_A, False),  # a role not bound to places
    (COMMUNITY_ADMIN, Role.ANALYST, COMM_A, False),
    (CITY_ADMIN, Role.CITY_ADMIN, COMM_B, True),
    (CITY_ADMIN, Role.ANALYST, CITY, True),
    (GRID_WORKER, Role.RESIDENT, GRID_A, False),  # not an administrator at all
])
def test_who_may_grant_which_role_where(actor: Principal, role: Role, scope: str,
                                        allowed: bool) -> None:
    assert rules.may_grant(actor, role, scope) is allowed


def test_a_refusal_says_whether_the_place_or_the_role_is_the_problem() -> None:
    with pytest.raises(PermissionDenied, match="outside their scope"):
        rules.require_grant(COMMUNITY_ADMIN, Role.GRID_WORKER, GRID_B, place="grid-b")
    with pytest.raises(PermissionDenied, match="may not grant the role city_admin"):
        rules.require_grant(COMMUNITY_ADMIN, Role.CITY_ADMIN, GRID_A)


@pytest.mark.parametrize(("actor", "target", "manages"), [
    (COMMUNITY_ADMIN, acc(9, (Role.GRID_WORKER, GRID_A)), True),
    (COMMUNITY_ADMIN, acc(9, (Role.RESIDENT, GRID_A), (Role.VOLUNTEER, COMM_A)), True),
    (COMMUNITY_ADMIN, acc(9, (Role.GRID_WORKER, GRID_A), (Role.GRID_WORKER, GRID_B)), False),
    (COMMUNITY_ADMIN, acc(9, (Role.CITY_ADMIN, CITY)), False),  # never a global admin
    (COMMUNITY_ADMIN, acc(9, (Role.CITY_ADMIN, GRID_A)), False),  # nor any city admin
    (COMMUNITY_ADMIN, acc(9, (Role.ANALYST, GRID_A)), False),
    (COMMUNITY_ADMIN, acc(9), False),  # a user of no place
    (CITY_ADMIN, acc(9), True),
    (CITY_ADMIN, acc(9, (Role.CITY_ADMIN, CITY)), True),
    (Principal(4, "district", (Grant(Role.CITY_ADMIN, "/1/2/"),)), acc(9), False),
])
def test_who_manages_an_account(actor: Principal, target: Account, manages: bool) -> None:
    assert rules.manages_account(actor, target) is manages


def test_nobody_disables_or_resets_their_own_account() -> None:
    me = acc(1, (Role.CITY_ADMIN, CITY))
    with pytest.raises(PermissionDenied, match="their own account"):
        rules.require_account(CITY_ADMIN, me, "disable")


def test_a_community_admin_cannot_change_roles_of_an_administrator_beyond_it() -> None:
    boss = acc(1, (Role.CITY_ADMIN, CITY))
    with pytest.raises(PermissionDenied, match="an administrator beyond their scope"):
        rules.require_role_change(COMMUNITY_ADMIN, boss, Role.GRID_WORKER, GRID_A)
    rules.require_role_change(COMMUNITY_ADMIN, acc(9), Role.GRID_WORKER, GRID_A)


def test_an_administrator_keeps_its_own_admin_role() -> None:
    me = acc(2, (Role.COMMUNITY_ADMIN, COMM_A))
    with pytest.raises(PermissionDenied, match="their own community_admin role"):
        rules.require_role_change(COMMUNITY_ADMIN, me, Role.COMMUNITY_ADMIN, COMM_A,
                                  withdraw=True)


def test_an_administrator_sees_users_with_any_role_in_its_reach() -> None:
    both = acc(9, (Role.GRID_WORKER, GRID_A), (Role.GRID_WORKER, GRID_B))
    assert rules.sees(COMMUNITY_ADMIN, both) and not rules.manages_account(COMMUNITY_ADMIN, both)
    assert not rules.sees(COMMUNITY_ADMIN, acc(9, (Role.GRID_WORKER, GRID_B)))


def test_an_unknown_role_is_an_input_error_naming_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"unknown role 'mayor'.*community_admin"):
        rules.parse_role("mayor")


def test_the_community_admin_role_may_manage_users_but_reads_no_residents() -> None:
    assert is_allowed(COMMUNITY_ADMIN, "user.manage")
    assert not is_allowed(COMMUNITY_ADMIN, "community.resident.read")
    assert not is_allowed(COMMUNITY_ADMIN, "audit.read")
