"""The retention job (``rescity community purge``) applied to part II's personal fields, as
``personal_fields_ops.toml`` declares them, on SQLite and PostgreSQL with a clock the test moves.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

from rescity.community.cases import sweep as case_sweep
from rescity.community.residents import privacy
from rescity.community.shared.runtime import Runtime
from rescity.core.audit import AuditEntry
from tests.community.casework import World
from tests.community.help.test_help_api import ask, match, offers, volunteer

from .test_cases_api import file, post


def purge(w: World) -> dict[str, int]:
    rt = Runtime.create(w.settings, clock=w.clock)
    with w.uow() as uow:
        return privacy.purge(uow, rt).counts


def raw(w: World, table: str, row_id: int) -> dict[str, Any]:
    with w.uow() as uow:
        row = uow.session.execute(
            text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id}
        ).mappings().one()
        return dict(row)


def resolved_hotline_case(w: World, phone: str) -> int:
    cid = int(file(w, who="grid", channel="hotline", caller_name="Li Lei",
                   caller_phone=phone)["id"])
    assert post(w, "pma", cid, "accept").status_code == 200
    done = post(w, "pma", cid, "resolve", resolution="collected", evidence=["https://x/p.jpg"])
    assert done.json()["status"] == "resolved"
    return cid


def close_resolved(w: World) -> None:
    """Past the reopening window, the sweep closes resolved cases (the retention clock)."""
    w.clock.advance(seconds=w.rt.levels.reopen_window.total_seconds() + 3600)
    with w.uow() as uow:
        assert case_sweep.sweep(uow, w.rt).closed >= 1


def confirmed_request(w: World, description: str) -> int:
    rid = int(ask(w, description=description)["id"])
    assert match(w)["offers"] == 1
    offer = next(o for o in offers(w, "vol") if o["request_id"] == rid)
    url = f"/api/community/help-offers/{offer['id']}/accept"
    assert w.client.post(url, headers=w.h["vol"]).status_code == 200
    for step in ("start", "deliver"):
        r = w.client.post(f"/api/community/help/{rid}/{step}", headers=w.h["vol"])
        assert r.status_code == 200, r.text
    r = w.client.post(f"/api/community/help/{rid}/confirm", headers=w.h["res"])
    assert r.json()["status"] == "confirmed"
    return rid


def scores(w: World, month: str) -> Any:
    r = w.client.get(f"/api/community/case-scores?month={month}", headers=w.h["admin"])
    assert r.status_code == 200, r.text
    return r.json()


def test_purge_erases_part_two_personal_fields_past_retention_and_keeps_the_facts(
    world: World,
) -> None:
    w = world
    month = w.clock.now.strftime("%Y-%m")
    vol_id = volunteer(w, "vol")["id"]
    old_case = resolved_hotline_case(w, "13812341234")
    old_request = confirmed_request(w, "insulin from the pharmacy")
    close_resolved(w)  # old case closed now
    old_closed_at = w.clock.now
    young_case = resolved_hotline_case(w, "13900001111")
    close_resolved(w)  # young case closed now
    scores_before = scores(w, month)
    old_row_before = raw(w, "community_ops_case", old_case)
    assert old_row_before["reporter_contact_sealed"]

    # Nothing of part II has expired yet.
    assert not any(k.startswith(("case", "help", "volunteer")) for k in purge(w))

    # 90 days after the old case closed, and > 30 days after the request was confirmed.
    w.clock.now = old_closed_at + timedelta(days=90, minutes=1)
    young_request = confirmed_request(w, "bread and milk")
    counts = purge(w)
    assert counts["case reporter contact erased"] == 1
    assert counts["help request contact erased"] == 1
    assert counts["help request description erased"] == 1
    assert "volunteer phone erased" not in counts

    old = raw(w, "community_ops_case", old_case)
    assert old["reporter_contact_sealed"] is None
    for name in ("service_code", "status", "channel", "handler_id", "created_at",
                 "deadline_at", "resolved_at", "resolution", "scope"):
        assert old[name] == old_row_before[name], name
    assert raw(w, "community_ops_case", young_case)["reporter_contact_sealed"]

    gone = raw(w, "community_ops_help_request", old_request)
    assert gone["contact_sealed"] is None and gone["description"] == ""
    assert gone["status"] == "confirmed" and gone["kind"] == "medicine"
    assert gone["confirmed_at"] is not None and gone["created_at"] is not None
    kept = raw(w, "community_ops_help_request", young_request)
    assert kept["contact_sealed"] and kept["description"] == "bread and milk"
    assert raw(w, "community_ops_volunteer", vol_id)["phone_sealed"]

    # The monthly scores read only non-personal facts: unchanged.
    assert scores(w, month) == scores_before

    with w.uow() as uow:
        rows = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "community.purge")
            .order_by(AuditEntry.id)
        ).all()
        assert rows[-1].kind == "write"
        assert rows[-1].detail["case reporter contact erased"] == 1

    # Running it again changes nothing.
    again = purge(w)
    assert not any(k.startswith(("case", "help", "volunteer")) for k in again)
    assert raw(w, "community_ops_case", young_case)["reporter_contact_sealed"]


def test_a_volunteers_phone_is_erased_a_year_after_registration(world: World) -> None:
    w = world
    vol_id = volunteer(w, "vol", vetted=False)["id"]
    w.clock.advance(days=200)
    vol2_id = volunteer(w, "vol2", vetted=False)["id"]
    w.clock.advance(days=166)  # vol: 366 days; vol2: 166 days
    counts = purge(w)
    assert counts["volunteer phone erased"] == 1
    row = raw(w, "community_ops_volunteer", vol_id)
    assert row["phone_sealed"] is None
    assert row["display_name"] == "Vol" and row["vetting_state"] == "pending"
    assert raw(w, "community_ops_volunteer", vol2_id)["phone_sealed"]
    assert "volunteer phone erased" not in purge(w)
