"""Who may call each control-status and exit-permit endpoint: every role, both backends.

Same shape as tests/community/shared/test_role_matrix.py (whose coverage test includes this
table). Health officers set and lift statuses in their area; grid workers and health officers
issue exit permits to residents of theirs; the status board is for staff with
``community.control.read`` (not residents, not departments). ``health_b`` is a health officer
of community b only, ``grid_b1`` the worker of another grid: neither acts on grid a1.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.community.conftest import OTHER_AREA, ROLES, World
from tests.community.shared.test_role_matrix import Row, both, check_row

USERS = (*ROLES, OTHER_AREA)
READERS = both(200, "grid_a1", "grid_b1", "health", "manager", "admin", OTHER_AREA)
UNTIL = "2026-11-25T00:00:00Z"  # the test clock starts on 2026-11-23
_n = itertools.count()


def new_status(w: World) -> dict[str, Any]:
    r = w.call("health", "POST", "/api/community/control",
               json={"place": "a1", "building": "1", "status": "sealed", "note": f"{next(_n)}"})
    assert r.status_code == 201, r.text
    return {"sid": r.json()["id"]}


def new_permit(w: World) -> dict[str, Any]:
    r = w.call("admin", "POST", "/api/community/control/permits",
               json={"resident_id": w.ids["alice"], "reason": "medical", "valid_until": UNTIL})
    assert r.status_code == 201, r.text
    return {"pid": r.json()["id"]}


TABLE = [
    Row("status kinds", "GET", "/api/community/control/kinds", READERS),
    Row("statuses in force", "GET", "/api/community/control", READERS),
    Row("all statuses", "GET", "/api/community/control?all=true", READERS),
    Row("building board", "GET", "/api/community/control/buildings", READERS),
    Row("seal a building of grid a1", "POST", "/api/community/control",
        both(201, "health", "admin"), json={"place": "a1", "building": "1", "status": "sealed"}),
    Row("control all of community b", "POST", "/api/community/control",
        both(201, "health", "admin", OTHER_AREA), json={"place": "b", "status": "controlled"}),
    Row("lift a status in grid a1", "POST", "/api/community/control/{sid}/lift",
        both(200, "health", "admin"), setup=new_status),
    Row("issue an exit permit to a resident of a1", "POST", "/api/community/control/permits",
        both(201, "grid_a1", "health", "admin"),
        json={"resident_id": "{alice}", "reason": "medical", "valid_until": UNTIL}),
    Row("revoke an exit permit", "POST", "/api/community/control/permits/{pid}/revoke",
        both(200, "grid_a1", "health", "admin"), setup=new_permit),
]


@pytest.mark.parametrize("row", TABLE, ids=[r.name for r in TABLE])
def test_each_role_gets_what_the_control_table_says(world_with_other_officer: World,
                                                    row: Row) -> None:
    wrong = check_row(world_with_other_officer, row, USERS)
    assert not wrong, "\n".join(wrong)
