"""Reads of help requests (health text) and of cases are audited, lists and single records."""

from __future__ import annotations

from sqlalchemy import select

from rescity.core.audit import AuditEntry
from tests.community.casework import World
from tests.community.help.test_help_api import ask


def _reads(w: World, action: str) -> list[tuple[int | None, str]]:
    with w.uow() as uow:
        rows = uow.session.execute(select(AuditEntry.actor_id, AuditEntry.record_id).where(
            AuditEntry.action == action, AuditEntry.kind == "read")).all()
    return [(a, str(r)) for a, r in rows]


def test_a_grid_workers_reads_of_help_requests_and_cases_are_audited(world: World) -> None:
    w = world
    rid = ask(w)["id"]
    case = w.client.post("/api/community/cases", headers=w.h["res"],
                         json={"service_code": "waste", "place": "a1", "description": "bins"})
    assert case.status_code == 201
    assert w.client.get("/api/community/help", headers=w.h["grid"]).status_code == 200
    assert w.client.get(f"/api/community/help/{rid}", headers=w.h["grid"]).status_code == 200
    assert w.client.get("/api/community/cases", headers=w.h["grid"]).status_code == 200
    cid = case.json()["id"]
    assert w.client.get(f"/api/community/cases/{cid}", headers=w.h["grid"]).status_code == 200
    grid = w.users["grid"]
    assert (grid, "1 rows") in _reads(w, "community.help.read")
    assert (grid, str(rid)) in _reads(w, "community.help.read")
    assert (grid, "1 rows") in _reads(w, "community.case.read")
    assert (grid, str(cid)) in _reads(w, "community.case.read")
