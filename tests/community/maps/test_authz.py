"""Who may call the map endpoint: one table in the shape of the case tables (every role,
both backends); tests/community/shared/test_role_matrix.py unions it into its coverage."""

from __future__ import annotations

from tests.community.cases.test_authz import ANON, Row, check
from tests.community.casework import World

STAFF = {"admin": 200, "grid": 200, "dept": 200, "pma": 200, "pmb": 200, ANON: 401}

TABLE: list[Row] = [
    # residents, volunteers, analysts and users without a role read none of the layers
    Row("GET", "/api/community/map", STAFF, 403),
    Row("GET", "/api/community/map?kind=case&status=dispatched", STAFF, 403),
]


def _no_record(w: World, row: Row) -> int:
    raise AssertionError(f"{row.path} takes no record id")


def test_the_map_answers_each_role_as_the_policy_says(world: World) -> None:
    wrong = check(world, TABLE, _no_record)
    assert wrong == [], "\n".join(wrong)
