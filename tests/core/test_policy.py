"""The authorization policy: deny by default, scope by place, roles from the data table."""

import pytest

from rescity.core.errors import PermissionDenied
from rescity.core.security.policy import Grant, Principal, Role, Target, is_allowed, require, rules

# The demo-like hierarchy: city /1/, district /1/2/, sub-district /1/2/3/,
# community A /1/2/3/4/ with grid /1/2/3/4/5/, community B /1/2/3/6/ with grid /1/2/3/6/7/.
CITY, DISTRICT, SUB = "/1/", "/1/2/", "/1/2/3/"
COMM_A, GRID_A = "/1/2/3/4/", "/1/2/3/4/5/"
COMM_B, GRID_B = "/1/2/3/6/", "/1/2/3/6/7/"


def who(role: Role, scope: str, uid: int = 10) -> Principal:
    return Principal(user_id=uid, username=f"{role.value}-{uid}", grants=(Grant(role, scope),))


def test_an_unknown_action_is_denied_to_every_role() -> None:
    for role in Role:
        if role is Role.CITY_ADMIN:
            continue
        assert not is_allowed(who(role, CITY), "nothing.like.this", Target(scope=GRID_A))


def test_anonymous_may_only_read_published_knowledge() -> None:
    assert is_allowed(None, "knowledge.initiative.read_published")
    assert not is_allowed(None, "knowledge.initiative.submit")
    assert not is_allowed(None, "community.resident.read", Target(scope=GRID_A))
    with pytest.raises(PermissionDenied, match="anonymous may not"):
        require(None, "audit.read")


def test_grid_worker_of_community_a_cannot_touch_community_b() -> None:
    worker = who(Role.GRID_WORKER, COMM_A)
    assert is_allowed(worker, "community.resident.read", Target(scope=GRID_A))
    assert is_allowed(worker, "community.resident.update", Target(scope=GRID_A))
    for action in (
        "community.resident.read",
        "community.resident.update",
        "community.alert.update",
    ):
        assert not is_allowed(worker, action, Target(scope=GRID_B))
        assert not is_allowed(worker, action, Target(scope=COMM_B))
    # Nor anything above its own place.
    assert not is_allowed(worker, "community.resident.read", Target(scope=SUB))


def test_city_admin_may_do_anything_anywhere_in_the_city() -> None:
    admin = who(Role.CITY_ADMIN, CITY)
    for scope in (CITY, GRID_A, GRID_B):
        assert is_allowed(admin, "community.resident.read", Target(scope=scope))
        assert is_allowed(admin, "audit.read", Target(scope=scope))
    assert not is_allowed(admin, "community.resident.read", Target(scope="/99/"))


def test_own_actions_need_ownership() -> None:
    resident = who(Role.RESIDENT, GRID_A, uid=7)
    mine = Target(scope=GRID_A, owner_id=7)
    neighbour = Target(scope=GRID_A, owner_id=8)
    assert is_allowed(resident, "community.resident.read", mine)
    assert not is_allowed(resident, "community.resident.read", neighbour)


# Each role's allowed (✓) and refused (✗) actions on a record in grid A, granted on community A.
ROLE_TABLE = [
    (Role.RESIDENT, "community.checkin.create", False),  # only on own records
    (Role.RESIDENT, "place.read", True),
    (Role.VOLUNTEER, "community.help.read_offered", True),
    (Role.VOLUNTEER, "community.resident.read", False),
    (Role.GRID_WORKER, "community.resident.read", True),
    (Role.GRID_WORKER, "community.alert.update", True),
    (Role.GRID_WORKER, "audit.read", False),
    (Role.HEALTH_OFFICER, "community.health.read", True),
    (Role.HEALTH_OFFICER, "community.resident.update", False),
    (Role.DEPARTMENT, "community.case.update", True),
    (Role.DEPARTMENT, "community.resident.read", False),
    (Role.DEPARTMENT, "community.checkin.read", False),
    (Role.PROPERTY_MANAGER, "community.gate.create", True),
    (Role.PROPERTY_MANAGER, "community.resident.read", False),
    (Role.KNOWLEDGE_EDITOR, "knowledge.initiative.publish", True),
    (Role.KNOWLEDGE_EDITOR, "community.resident.read", False),
    (Role.ANALYST, "assess.run", True),
    (Role.ANALYST, "community.resident.read", False),
    (Role.CITY_ADMIN, "audit.read", True),
    (Role.CITY_ADMIN, "user.manage", True),
]


@pytest.mark.parametrize(("role", "action", "allowed"), ROLE_TABLE)
def test_role_table(role: Role, action: str, allowed: bool) -> None:
    scope = CITY if role is Role.CITY_ADMIN else COMM_A
    assert is_allowed(who(role, scope), action, Target(scope=GRID_A)) is allowed


def test_every_role_has_rules_in_the_table() -> None:
    table = rules()
    assert {r.value for r in Role} <= set(table)
