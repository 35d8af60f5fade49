"""Every endpoint × every role: who may do what (table-driven, both backends).

Residents see only themselves and their household; grid workers only their grid; health
officers the health data of their area; departments and property managers no personal data
beyond their job. Anything not listed for a role is refused: 401 when anonymous (403 for an
anonymous POST, refused by the CSRF check first), else 403 (or 404 for "my own" endpoints when
the caller is not a resident at all, and 404 for a resident the caller may not even read: the
answer must not tell who lives where).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from rescity.community.access import services as access
from rescity.community.alerts import services as alerts
from rescity.community.alerts.domain import AlertKind, Severity
from rescity.community.residents import registration
from rescity.community.residents import services as residents
from rescity.core.accounts import get_user, principal_of
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import ROLES, World

RESIDENTS = ("alice", "carol", "dave")
STAFF = ("grid_a1", "grid_b1", "health", "dept", "manager", "admin")
_n = itertools.count()


def as_admin(w: World) -> Any:
    with UnitOfWork(w.factory) as uow:
        return principal_of(get_user(uow.session, "admin"))


def new_alert(w: World) -> dict[str, Any]:
    with UnitOfWork(w.factory) as uow:
        scope = uow.session.get(residents.Resident, w.ids["alice"]).scope  # type: ignore[attr-defined]
        a = alerts.raise_alert(
            uow.session, kind=AlertKind.FEVER, scope=scope, severity=Severity.HIGH,
            source="test", subject_type="resident", subject_id=w.ids["alice"], now=w.clock(),
        )
        uow.commit()
        return {"alert": a.id}


def new_pass(w: World) -> dict[str, Any]:
    with UnitOfWork(w.factory) as uow:
        p = access.issue_pass(uow, w.runtime, as_admin(w), w.ids["alice"])
    return {"pass": p.id, "token": p.token}


def new_flag(w: World) -> dict[str, Any]:
    with UnitOfWork(w.factory) as uow:
        f = residents.add_care_flag(
            uow, w.runtime, as_admin(w), w.ids["alice"], kind=residents.CareKind.DISABLED,
            purpose="priority help in floods", consent_by=residents.ConsentBy.RESIDENT,
        )
    return {"flag": f.id}


def new_resident(w: World) -> dict[str, Any]:
    with UnitOfWork(w.factory) as uow:
        r = residents.register_resident(
            uow, w.runtime, as_admin(w), household_id=w.ids["h2"],
            data=residents.NewResident(name=f"Temp {next(_n)}"),
        )
    return {"rid": r.id}


def new_invitation(w: World) -> dict[str, Any]:
    with UnitOfWork(w.factory) as uow:
        inv = registration.create_invitation(uow, w.runtime, as_admin(w), place_code="a1")
    return {"code": inv.code, "user": f"newbie{next(_n)}"}


def with_gate(w: World) -> dict[str, Any]:
    with UnitOfWork(w.factory) as uow:
        code = f"gate{next(_n)}"
        access.create_gate(uow, as_admin(w), community_code="a", code=code, name=code)
    return {"gate": code, **new_pass(w)}


def version_of_alice(w: World) -> dict[str, Any]:
    with UnitOfWork(w.factory) as uow:
        return {"v": uow.session.get(residents.Resident, w.ids["alice"]).version}  # type: ignore[attr-defined]


@dataclass
class Row:
    name: str
    method: str
    path: str  # formatted with the world's ids and the setup's values
    allowed: dict[str, int]
    json: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    setup: Callable[[World], dict[str, Any]] | None = None
    refused: int = 403  # the status for authenticated roles not in ``allowed``


def both(status: int, *roles: str) -> dict[str, int]:
    return dict.fromkeys(roles, status)


SOON = "2026-11-30T00:00:00Z"
ROWS = [
    Row("create household", "POST", "/api/community/households",
        both(201, "grid_a1", "admin"), json={"grid": "a1", "building": "7", "room": "701"}),
    Row("register a resident in a household", "POST", "/api/community/residents",
        both(201, "grid_a1", "admin", "alice"), json={"household_id": "{h1}", "name": "New One"}),
    Row("list residents", "GET", "/api/community/residents",
        both(200, *RESIDENTS, "grid_a1", "grid_b1", "admin")),
    Row("read a resident", "GET", "/api/community/residents/{alice}",
        both(200, "alice", "grid_a1", "admin"), refused=404),
    Row("read a household member", "GET", "/api/community/residents/{bob}",
        both(200, "alice", "grid_a1", "admin"), refused=404),
    Row("update a resident", "PATCH", "/api/community/residents/{alice}",
        both(200, "alice", "grid_a1", "admin"), json={"birth_year": 1991},
        headers={"If-Match": '"{v}"'}, setup=version_of_alice, refused=404),
    Row("add a care flag", "POST", "/api/community/residents/{alice}/care-flags",
        both(201, "alice", "grid_a1", "admin"),
        json={"kind": "elderly_alone", "purpose": "daily call", "consent_by": "resident"},
        refused=404),
    Row("withdraw a care flag", "DELETE", "/api/community/care-flags/{flag}",
        both(204, "alice", "grid_a1", "admin"), setup=new_flag, refused=404),
    Row("order home quarantine", "PUT", "/api/community/residents/{alice}/quarantine",
        both(200, "grid_a1", "health", "admin") | {"alice": 403}, json={"until": SOON},
        refused=404),
    Row("record that a resident moved out", "POST", "/api/community/residents/{rid}/moved-out",
        both(204, "grid_a1", "admin") | {"carol": 403}, setup=new_resident, refused=404),
    Row("erase a resident", "POST", "/api/community/residents/{rid}/erase",
        both(204, "grid_a1", "admin") | {"carol": 403}, setup=new_resident, refused=404),
    Row("create an invitation", "POST", "/api/community/invitations",
        both(201, "grid_a1", "admin"), json={"place": "a1"}),
    Row("invitation QR", "GET", "/api/community/invitations/{code}/qr.svg",
        both(200, "grid_a1", "admin"), setup=new_invitation),
    Row("self-registration needs only a valid code", "POST", "/api/community/register",
        both(201, *ROLES), setup=new_invitation,
        json={"code": "{code}", "username": "{user}", "password": "long enough pw",
              "grid": "a1", "building": "3", "room": "301", "name": "Newbie"}),
    Row("my data", "GET", "/api/community/me/data", both(200, *RESIDENTS), refused=404),
    Row("ask for deletion", "POST", "/api/community/me/deletion-request",
        both(202, *RESIDENTS), refused=404),
    Row("my pass", "GET", "/api/community/me/pass", both(200, *RESIDENTS), refused=404),
    Row("my pass QR", "GET", "/api/community/me/pass/qr.svg", both(200, *RESIDENTS),
        refused=404),
    Row("check in for a resident", "POST", "/api/community/checkins",
        both(201, "alice", "grid_a1", "admin"),
        json={"temperature_c": 36.6, "resident_id": "{bob}"}, refused=404),
    Row("list check-ins", "GET", "/api/community/checkins",
        both(200, *RESIDENTS, "grid_a1", "grid_b1", "health", "admin")),
    Row("who has not checked in", "GET", "/api/community/checkins/missing",
        both(200, "grid_a1", "grid_b1", "health", "admin")),
    Row("issue a pass", "POST", "/api/community/passes",
        both(201, "alice", "grid_a1", "admin"), json={"resident_id": "{alice}"}, refused=404),
    Row("revoke a pass", "POST", "/api/community/passes/{pass}/revoke",
        both(204, "grid_a1", "admin"), setup=new_pass),
    Row("create a gate", "POST", "/api/community/gates", both(201, "manager", "admin"),
        json={"community": "a", "code": "g-{n}", "name": "North"},
        setup=lambda w: {"n": next(_n)}),
    Row("scan a pass at a gate", "POST", "/api/community/gate-events",
        both(201, "manager", "admin"), setup=with_gate,
        json={"gate": "{gate}", "direction": "in", "token": "{token}"}),
    Row("list gate events", "GET", "/api/community/gate-events",
        both(200, "grid_a1", "grid_b1", "manager", "admin")),
    Row("register a visitor", "POST", "/api/community/visitors",
        both(201, "alice", "grid_a1", "admin"),
        json={"name": "Visitor V", "host_resident_id": "{alice}",
              "expected_from": "2026-11-23T01:00:00Z", "expected_until": "2026-11-23T05:00:00Z"},
        refused=404),
    Row("list visitors", "GET", "/api/community/visitors",
        both(200, *RESIDENTS, "grid_a1", "grid_b1", "admin")),
    Row("list alerts", "GET", "/api/community/alerts",
        both(200, "grid_a1", "grid_b1", "health", "admin")),
    Row("read an alert", "GET", "/api/community/alerts/{alert}",
        both(200, "grid_a1", "health", "admin"), setup=new_alert),
    Row("acknowledge an alert", "POST", "/api/community/alerts/{alert}/acknowledge",
        both(200, "grid_a1", "health", "admin"), setup=new_alert),
    Row("resolve an alert", "POST", "/api/community/alerts/{alert}/resolve",
        both(200, "grid_a1", "health", "admin"), setup=new_alert, json={"note": "called"}),
    Row("sweep for missed check-ins", "POST", "/api/community/alerts/sweep",
        both(200, "grid_a1", "admin"), json={"place": "a1"}),
    Row("read a community's rules", "GET", "/api/community/rules/a",
        both(200, "health", "admin")),
    Row("change a community's rule", "PUT", "/api/community/rules/a/fever",
        both(200, "admin"), json={"threshold_c": 37.5}),
    Row("community dashboard", "GET", "/api/community/dashboard?place=a",
        both(200, "health", "dept", "admin")),
    Row("grid dashboard", "GET", "/api/community/dashboard?place=a1",
        both(200, "grid_a1", "health", "dept", "admin")),
]


def _fill(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in params:
            return params[value[1:-1]]
        return value.format(**params)
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, params) for v in value]
    return value


def check_row(world: World, row: Row, roles: tuple[str, ...] = ROLES) -> list[str]:
    """Call ``row`` as each role (a fresh setup for each); the mismatches, one line each."""
    wrong = []
    for role in roles:
        params = {**world.ids, **(row.setup(world) if row.setup else {})}
        # Anonymous unsafe requests fail the CSRF check (403) before authentication (401).
        anonymous = 401 if row.method == "GET" else 403
        expected = row.allowed.get(role, anonymous if role == "anonymous" else row.refused)
        kwargs: dict[str, Any] = {"headers": _fill(row.headers, params)}
        if row.json is not None:
            kwargs["json"] = _fill(row.json, params)
        r = world.call(role, row.method, _fill(row.path, params), **kwargs)
        if r.status_code != expected:
            wrong.append(f"{role}: expected {expected}, got {r.status_code} {r.text[:120]}")
    return wrong


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_each_role_gets_exactly_what_the_table_says(world: World, row: Row) -> None:
    wrong = check_row(world, row)
    assert not wrong, "\n".join(wrong)


def test_lists_hold_only_rows_the_reader_may_see(world: World) -> None:
    def ids(who: str) -> set[int]:
        return {r["id"] for r in world.call(who, "GET", "/api/community/residents").json()}

    assert ids("alice") == {world.ids["alice"], world.ids["bob"]}  # her household
    assert ids("carol") == {world.ids["carol"]}
    assert ids("grid_a1") == {world.ids[k] for k in ("alice", "bob", "carol")}
    assert ids("grid_b1") == {world.ids["dave"]}
    world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 38.5})
    world.call("dave", "POST", "/api/community/checkins", json={"temperature_c": 36.5})
    health = world.call("health", "GET", "/api/community/checkins").json()
    assert {c["resident_id"] for c in health} == {world.ids["alice"], world.ids["dave"]}
    carol = world.call("carol", "GET", "/api/community/checkins").json()
    assert carol == []
    assert len(world.call("grid_b1", "GET", "/api/community/alerts").json()) == 0
    assert len(world.call("grid_a1", "GET", "/api/community/alerts").json()) == 1


def test_departments_get_figures_without_any_personal_field(world: World) -> None:
    body = world.call("dept", "GET", "/api/community/dashboard?place=s").json()
    text = str(body)
    for secret in ("Alice", "Bob", "Carol", "1381234", "alice"):
        assert secret not in text


def test_the_table_covers_every_community_api_endpoint(world: World) -> None:
    import re

    from tests.community.cases.test_authz import TABLE as CASE_TABLE
    from tests.community.control.test_authz import TABLE as CONTROL_TABLE
    from tests.community.help.test_authz_help_sensors import TABLE as HELP_TABLE
    from tests.community.help.test_volunteers import TABLE as VOLUNTEER_TABLE
    from tests.community.maps.test_authz import TABLE as MAPS_TABLE
    from tests.community.supplies.test_authz import TABLE as SUPPLIES_TABLE
    from tests.routes import app_routes

    # The case-work endpoints have their own tables (same shape); tracing's roles are checked
    # in tests/community/tracing/test_api.py, endpoint by endpoint.
    tracing = [("GET", "/api/community/tracing/published"),
               ("GET", "/api/community/tracing/traces"),
               ("POST", "/api/community/tracing/traces"), ("GET", "/api/community/tracing/venues"),
               ("POST", "/api/community/tracing/venues"),
               # two records per call: tests/community/cases/test_cases_api.py checks its roles
               ("POST", "/api/community/cases/{case_id}/merge")]
    rows = {(r.method, r.path.split("?")[0]) for r in (*ROWS, *CASE_TABLE, *HELP_TABLE)}
    rows |= {(r.method, r.path.split("?")[0]) for r in VOLUNTEER_TABLE}
    rows |= {(r.method, r.path.split("?")[0]) for r in (*CONTROL_TABLE, *SUPPLIES_TABLE)}
    rows |= {(r.method, r.path.split("?")[0]) for r in MAPS_TABLE}
    rows |= set(tracing)
    missing = []
    seen = 0
    for path, route in app_routes(world.client.app.routes):  # type: ignore[attr-defined]
        if not path.startswith("/api/community"):
            continue
        seen += 1
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
        for method in route.methods:
            if not any(m == method and pattern.match(p) for m, p in rows):
                missing.append(f"{method} {path}")
    assert seen > 40, f"only {seen} community API routes found: the walk missed the routers"
    assert missing == [], "\n".join(missing)
