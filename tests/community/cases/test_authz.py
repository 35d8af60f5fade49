"""Who may call each work-order and Open311 endpoint: one table, every role, both backends.

A row names the endpoint, the body, and the expected status per user; users not named
expect the row's default. 404 (not 403) is expected where the case is not even visible.
Steps that change a case get a fresh case for every caller, so rows do not interfere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rescity.community.alerts.adapters import Alert
from tests.community.casework import ROLES, World

ANON = "anonymous"
USERS = [*ROLES, ANON]


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # "{id}" is replaced by the id of a fresh record (see `case`)
    expect: dict[str, int]
    default: int
    body: dict[str, Any] | None = None
    case: str = "resident"  # what {id} names: a "resident" case (in a1), a "hotline" case,
    # a "streetlight" case (a resident's, dispatched to the department),
    # an "alert"; in the help table a "help" request, an "offer" or a "volunteer"
    prepare: tuple[str, ...] = field(default=())  # steps done on the case first (as admin)
    csrf: bool = True  # False for endpoints that take no cookie (device tokens, Open311 keys)


CASE = {"service_code": "waste", "place": "a1", "description": "bins"}
VIEWERS = {"res": 200, "pma": 200, "dept": 200, "grid": 200, "admin": 200, ANON: 401}

TABLE: list[Row] = [
    Row("POST", "/api/community/cases", {"res": 201, "res2": 201, "grid": 201, "admin": 201,
                                         ANON: 401}, 403, body=CASE),
    Row("POST", "/api/community/cases", {"grid": 201, "admin": 201, ANON: 401}, 403,
        body=CASE | {"channel": "hotline", "caller_phone": "13800000000"}),
    Row("POST", "/api/community/cases", {"admin": 201, ANON: 401}, 403,
        body=CASE | {"place": "b1", "channel": "grid_worker"}),
    Row("GET", "/api/community/cases/{id}", VIEWERS, 404),
    Row("GET", "/api/community/cases/{id}/history", VIEWERS, 404),
    Row("GET", "/api/community/cases/{id}/reporter?purpose=callback",
        {"grid": 200, "admin": 200, "pma": 403, "dept": 403, ANON: 401}, 404, case="hotline"),
    Row("POST", "/api/community/cases/{id}/dispatch",
        {"grid": 200, "admin": 200, "res": 403, "pma": 403, "dept": 403, ANON: 401}, 404,
        body={"handler": "dept-d"}),
    # Handler-side steps: only the staff of the handler the case is dispatched to (a waste
    # case goes to pm-a, staff pma; a streetlight to dept-d, staff dept), or an administrator.
    Row("POST", "/api/community/cases/{id}/accept",
        {"pma": 200, "dept": 403, "admin": 200, "res": 403, "grid": 403, ANON: 401}, 404),
    Row("POST", "/api/community/cases/{id}/accept",
        {"pma": 403, "dept": 200, "admin": 200, "res": 403, "grid": 403, ANON: 401}, 404,
        case="streetlight"),
    Row("POST", "/api/community/cases/{id}/urge",
        {"grid": 200, "admin": 200, "res": 403, "pma": 403, "dept": 403, ANON: 401}, 404),
    Row("POST", "/api/community/cases/{id}/refer",
        {"pma": 200, "dept": 403, "admin": 200, "res": 403, "grid": 403, ANON: 401}, 404,
        body={"reason": "not ours"}),
    Row("POST", "/api/community/cases/{id}/refer",
        {"pma": 403, "dept": 200, "admin": 200, "res": 403, "grid": 403, ANON: 401}, 404,
        body={"reason": "not ours"}, case="streetlight"),
    Row("POST", "/api/community/cases/{id}/resolve",
        {"pma": 200, "dept": 403, "admin": 200, "res": 403, "grid": 403, ANON: 401}, 404,
        body={"resolution": "done", "evidence": ["p.jpg"]}),
    Row("POST", "/api/community/cases/{id}/resolve",
        {"pma": 403, "dept": 200, "admin": 200, "res": 403, "grid": 403, ANON: 401}, 404,
        body={"resolution": "done", "evidence": ["p.jpg"]}, case="streetlight"),
    Row("POST", "/api/community/cases/{id}/rate",
        {"res": 200, "admin": 200, "pma": 403, "dept": 403, "grid": 403, ANON: 401}, 404,
        body={"rating": 4}, prepare=("resolve",)),
    Row("POST", "/api/community/cases/{id}/reopen",
        {"res": 200, "admin": 200, "pma": 403, "dept": 403, "grid": 403, ANON: 401}, 404,
        body={"reason": "still full"}, prepare=("resolve",)),
    Row("POST", "/api/community/case-sweep", {"admin": 200, ANON: 401}, 403),
    Row("POST", "/api/community/alerts/{id}/case", {"grid": 201, "admin": 201, ANON: 401}, 404,
        body={"service_code": "hotline_consult"}, case="alert"),
    Row("GET", "/api/community/case-scores?month=2026-03",
        {"grid": 200, "dept": 200, "pma": 200, "pmb": 200, "analyst": 200, "admin": 200,
         ANON: 401}, 403),
    Row("POST", "/api/community/handlers", {"admin": 201, ANON: 401}, 403,
        body={"code": "h-{user}", "kind": "department", "name_zh": "x", "place": "d"}),
    Row("GET", "/api/community/handlers", {ANON: 401}, 200),
    Row("POST", "/api/community/handlers/pm-a/members", {"admin": 201, ANON: 401}, 403,
        body={"username": "res2"}),
    Row("GET", "/api/community/handlers/pm-a/members", {"admin": 200, ANON: 401}, 403),
    Row("DELETE", "/api/community/handlers/pm-a/members/res2", {"admin": 204, ANON: 401}, 403),
    Row("GET", "/api/community/cases", {ANON: 401}, 200),
    Row("GET", "/open311/v2/services.json", {}, 200),
    Row("GET", "/open311/v2/requests.json", {}, 200),
    Row("POST", "/open311/v2/requests.json", {}, 403, csrf=False,
        body={"service_code": "waste", "lat": 31.2, "long": 121.4}),  # no api_key
]


def _headers(w: World, user: str) -> dict[str, str]:
    return {} if user == ANON else w.h[user]


def _new_case(w: World, row: Row) -> int:
    if row.case == "alert":
        with w.uow() as uow:
            alert = Alert(scope=w.places["a1"].path, kind="fever", severity="high",
                          source="checkin", created_at=w.clock.now)
            uow.session.add(alert)
            uow.commit()
            return alert.id
    body = CASE | ({"channel": "hotline", "caller_phone": "13800000000"}
                   if row.case == "hotline" else {})
    if row.case == "streetlight":
        body = body | {"service_code": "streetlight"}
    who = "grid" if row.case == "hotline" else "res"
    r = w.client.post("/api/community/cases", json=body, headers=w.h[who])
    case_id = int(r.json()["id"])
    for step in row.prepare:
        w.client.post(f"/api/community/cases/{case_id}/{step}", headers=w.h["admin"],
                      json={"resolution": "done", "evidence": ["p.jpg"]})
    return case_id


def check(w: World, table: list[Row], new_record: Callable[[World, Row], int]) -> list[str]:
    wrong = []
    for row in table:
        for user in USERS:
            path = row.path
            if "{id}" in path:
                path = path.replace("{id}", str(new_record(w, row)))
            body = None
            if row.body is not None:
                body = {k: v.replace("{user}", user) if isinstance(v, str) else v
                        for k, v in row.body.items()}
            r = w.client.request(row.method, path, json=body, headers=_headers(w, user))
            expected = row.expect.get(user, row.default)
            if user == ANON and row.method != "GET" and expected == 401 and row.csrf:
                expected = 403  # anonymous unsafe requests fail the CSRF check first
            if r.status_code != expected:
                wrong.append(f"{user} {row.method} {row.path}: {r.status_code} != {expected}"
                             f" {r.text[:120]}")
    return wrong


def test_every_case_endpoint_answers_each_role_as_the_policy_says(world: World) -> None:
    wrong = check(world, TABLE, _new_case)
    assert wrong == [], "\n".join(wrong)
