"""Work orders through the JSON API, on SQLite and PostgreSQL, with a clock the test moves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from rescity.community.alerts.adapters import Alert
from rescity.community.cases.adapters import CaseEvent, HistoryImmutable
from rescity.core.audit import AuditEntry
from tests.community.casework import World


def file(w: World, who: str = "res", **over: Any) -> dict[str, Any]:
    body = {"service_code": "waste", "place": "a1", "description": "bins full for 3 days",
            "lat": 31.2000, "lon": 121.4000, "address": "Block 3"} | over
    r = w.client.post("/api/community/cases", json=body, headers=w.h[who])
    assert r.status_code == 201, r.text
    return dict(r.json())


def post(w: World, who: str, case_id: int, step: str, **body: Any) -> Any:
    return w.client.post(f"/api/community/cases/{case_id}/{step}", json=body, headers=w.h[who])


def test_a_residents_report_goes_to_the_property_manager_with_the_types_deadline(
    world: World,
) -> None:
    case = file(world)
    assert case["status"] == "dispatched"
    assert case["handler"]["code"] == "pm-a"
    assert case["level"] == "general"
    created = world.clock.now
    assert case["deadline_at"].startswith((created + timedelta(days=7)).strftime("%Y-%m-%dT%H"))
    assert case["reported_by_me"] is True


def test_the_full_lifecycle_accept_resolve_with_evidence_rate_and_reopen(world: World) -> None:
    w = world
    case = file(w)
    cid = case["id"]
    assert post(w, "pma", cid, "accept").json()["status"] == "in_progress"
    w.clock.advance(hours=5)
    no_evidence = post(w, "pma", cid, "resolve", resolution="collected", evidence=[])
    assert no_evidence.status_code == 422
    assert no_evidence.json()["problems"][0]["where"] == "evidence"
    done = post(w, "pma", cid, "resolve", resolution="collected", evidence=["https://x/p.jpg"])
    assert done.json()["status"] == "resolved"
    assert post(w, "res2", cid, "rate", rating=5).status_code == 404  # not theirs to see
    rated = post(w, "res", cid, "rate", rating=2, comment="slow")
    assert rated.json()["status"] == "closed"
    w.clock.advance(days=1)
    reopened = post(w, "res", cid, "reopen", reason="bins full again")
    body = reopened.json()
    assert body["status"] == "dispatched" and body["reopen_count"] == 1
    assert body["deadline_at"].startswith((w.clock.now + timedelta(days=7)).strftime("%Y-%m-%d"))
    hist = w.client.get(f"/api/community/cases/{cid}/history", headers=w.h["res"]).json()
    assert [e["kind"] for e in hist] == [
        "created", "dispatched", "accepted", "resolved", "rated", "reopened"]
    assert hist[3]["detail"]["evidence"] == ["https://x/p.jpg"]


def test_reopening_after_the_window_is_refused_and_the_sweep_closes_the_case(
    world: World,
) -> None:
    w = world
    cid = file(w)["id"]
    post(w, "pma", cid, "resolve", resolution="done", evidence=["doc-17"])
    w.clock.advance(days=8)
    assert post(w, "res", cid, "reopen", reason="again").status_code == 409
    r = w.client.post("/api/community/case-sweep", headers=w.h["admin"]).json()
    assert r["closed"] == 1
    assert w.client.get(f"/api/community/cases/{cid}", headers=w.h["res"]).json()["status"] \
        == "closed"


def test_an_overdue_case_escalates_with_alerts_once_per_level_and_the_sweep_is_idempotent(
    world: World,
) -> None:
    w = world
    cid = file(w, service_code="emergency_repair", attributes={"people_trapped": "yes"})["id"]
    assert w.client.post("/api/community/case-sweep", headers=w.h["admin"]).json()[
        "escalated"] == 0
    w.clock.advance(hours=2, minutes=1)  # just past the 2 h deadline
    r1 = w.client.post("/api/community/case-sweep", headers=w.h["admin"]).json()
    assert r1 == {"escalated": 1, "alerts": 1, "closed": 0}
    again = w.client.post("/api/community/case-sweep", headers=w.h["admin"]).json()
    assert again == {"escalated": 0, "alerts": 0, "closed": 0}
    w.clock.advance(hours=5)  # far past: jumps to the maximum level 3
    w.client.post("/api/community/case-sweep", headers=w.h["admin"])
    case = w.client.get(f"/api/community/cases/{cid}", headers=w.h["grid"]).json()
    assert case["escalation_level"] == 3 and case["overdue"] is True
    with w.uow() as uow:
        alerts = uow.session.scalars(select(Alert).order_by(Alert.id)).all()
        assert [a.detail["level"] for a in alerts] == [1, 2, 3]
        assert {a.source for a in alerts} == {"work_order"}
        assert {a.assignee_id for a in alerts} == {w.users["grid"]}
    overdue = w.client.get("/api/community/cases?overdue=true", headers=w.h["grid"]).json()
    assert [c["id"] for c in overdue] == [cid]


def test_urging_is_for_supervisors_and_counts_against_the_handler(world: World) -> None:
    w = world
    cid = file(w)["id"]
    assert post(w, "pma", cid, "urge", note="hurry").status_code == 403
    assert post(w, "res", cid, "urge").status_code == 403
    r = post(w, "grid", cid, "urge", note="催办: residents waiting")
    assert r.json()["urge_count"] == 1
    month = w.clock.now.strftime("%Y-%m")
    rows = w.client.get(f"/api/community/case-scores?month={month}", headers=w.h["grid"]).json()
    pm_row = next(x for x in rows if x["handler"]["code"] == "pm-a")
    assert pm_row["deductions"] == {"urged": 1.0}
    assert pm_row["points"] == 11.0


def test_the_scores_count_an_open_overdue_case_against_the_on_time_rate(world: World) -> None:
    w = world
    late = file(w, service_code="emergency_repair", attributes={"people_trapped": "no"})["id"]
    quick = file(w, service_code="emergency_repair", attributes={"people_trapped": "no"},
                 lat=31.3)["id"]
    post(w, "pma", quick, "resolve", resolution="fixed", evidence=["p.jpg"])
    w.clock.advance(hours=3)
    w.client.post("/api/community/case-sweep", headers=w.h["admin"])
    month = w.clock.now.astimezone(w.rt.zone).strftime("%Y-%m")
    rows = w.client.get(f"/api/community/case-scores?month={month}", headers=w.h["admin"]).json()
    row = next(x for x in rows if x["handler"]["code"] == "pm-a")
    assert (row["due"], row["on_time"], row["open_overdue"]) == (2, 1, 1)
    assert row["on_time_rate"] == 0.5
    assert row["deductions"] == {"overdue": 2.0, "escalated": 1.0}
    assert late != quick


def test_not_our_responsibility_passes_the_case_on_and_keeps_the_clock(world: World) -> None:
    w = world
    case = file(w)
    cid = case["id"]
    assert post(w, "pma", cid, "refer", reason="").status_code == 422
    moved = post(w, "pma", cid, "refer", reason="city road, not estate", handler="dept-d").json()
    assert moved["handler"]["code"] == "dept-d" and moved["status"] == "dispatched"
    assert moved["deadline_at"] == case["deadline_at"]
    back = post(w, "dept", cid, "refer", reason="private land").json()
    assert back["status"] == "submitted" and back["handler"] is None
    again = post(w, "grid", cid, "dispatch", handler="pm-a").json()
    assert again["handler"]["code"] == "pm-a"


def test_a_duplicate_is_detected_and_merged_into_the_first_report(world: World) -> None:
    w = world
    first = file(w)
    w.clock.advance(hours=3)
    second = file(w, who="res2", lat=31.2003)  # ~33 m away, same type
    elsewhere = file(w, who="res2", lat=31.25)
    assert second["duplicate_of_id"] == first["id"]
    assert elsewhere["duplicate_of_id"] is None
    merged = post(w, "grid", second["id"], "merge", into=first["id"]).json()
    assert merged["status"] == "merged" and merged["merged_into_id"] == first["id"]
    assert post(w, "grid", first["id"], "merge", into=first["id"]).status_code == 422
    hist = w.client.get(f"/api/community/cases/{first['id']}/history", headers=w.h["grid"]).json()
    assert hist[-1]["kind"] == "absorbed" and hist[-1]["detail"] == {"from": second["id"]}


def test_an_anonymous_reporter_stays_hidden_and_a_callback_is_audited(world: World) -> None:
    w = world
    hotline = file(w, who="grid", channel="hotline", caller_name="Li Lei",
                   caller_phone="13812341234")
    url = f"/api/community/cases/{hotline['id']}/reporter"
    assert w.client.get(url, headers=w.h["grid"]).status_code == 422  # no purpose
    assert w.client.get(url + "?purpose=callback", headers=w.h["pma"]).status_code == 403
    contact = w.client.get(url + "?purpose=callback", headers=w.h["grid"]).json()
    assert contact == {"name": "Li Lei", "phone": "13812341234"}
    anon = file(w, who="grid", channel="hotline", caller_phone="13900000000", anonymous=True)
    r = w.client.get(f"/api/community/cases/{anon['id']}/reporter?purpose=callback",
                     headers=w.h["grid"])
    assert r.status_code == 403
    pm_view = w.client.get(f"/api/community/cases/{hotline['id']}", headers=w.h["pma"]).json()
    assert "13812341234" not in str(pm_view) and "Li Lei" not in str(pm_view)
    with w.uow() as uow:
        reads = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "community.case.read_reporter")).all()
        assert [(r.actor, r.kind, r.purpose) for r in reads] == [("grid", "read", "callback")]


def test_case_history_is_append_only_in_the_orm_and_the_database(world: World) -> None:
    w = world
    file(w)
    with w.uow() as uow:
        ev = uow.session.scalars(select(CaseEvent)).first()
        assert ev is not None
        ev.note = "rewritten"
        with pytest.raises(HistoryImmutable):
            uow.session.flush()
    with w.uow() as uow, pytest.raises(DatabaseError):
        uow.session.execute(text("UPDATE community_ops_case_event SET note = 'x'"))
    with w.uow() as uow, pytest.raises(DatabaseError):
        uow.session.execute(text("DELETE FROM community_ops_case_event"))


def test_bad_input_lists_every_problem(world: World) -> None:
    r = world.client.post("/api/community/cases", headers=world.h["res"], json={
        "service_code": "nope", "place": "a1", "lat": 95, "lon": 121.4,
        "media": ["ftp://x"]})
    assert r.status_code == 422
    where = {p["where"] for p in r.json()["problems"]}
    assert where == {"service_code", "lat", "media_url[0]"}


def test_steps_out_of_order_are_conflicts(world: World) -> None:
    w = world
    cid = file(w)["id"]
    assert post(w, "res", cid, "rate", rating=4).status_code == 409  # not resolved yet
    post(w, "pma", cid, "accept")
    assert post(w, "pma", cid, "accept").status_code == 409


def test_an_alert_becomes_a_work_order_once(world: World) -> None:
    w = world
    with w.uow() as uow:
        alert = Alert(scope=w.places["a1"].path, kind="frequent_access", severity="medium",
                      source="gate", created_at=w.clock.now)
        uow.session.add(alert)
        uow.commit()
        alert_id = alert.id
    url = f"/api/community/alerts/{alert_id}/case"
    body = {"service_code": "hotline_consult", "description": "check the east gate"}
    assert w.client.post(url, json=body, headers=w.h["pma"]).status_code == 404
    first = w.client.post(url, json=body, headers=w.h["grid"])
    assert first.status_code == 201 and first.json()["channel"] == "alert"
    again = w.client.post(url, json=body, headers=w.h["grid"]).json()
    assert again["id"] == first.json()["id"]


def test_only_staff_in_scope_merge_a_duplicate_into_an_open_case(world: World) -> None:
    # The role tables hold one fresh record per row; merging needs two, so it is checked here.
    keep, dup = file(world)["id"], file(world)["id"]
    anonymous = world.client.post(f"/api/community/cases/{dup}/merge", json={"into": keep})
    assert anonymous.status_code in (401, 403)  # no session: refused (CSRF or sign-in)
    for who in ("res", "pma", "dept"):
        assert post(world, who, dup, "merge", into=keep).status_code in (403, 404), who
    merged = post(world, "grid", dup, "merge", into=keep)
    assert merged.status_code == 200, merged.text
    assert merged.json()["merged_into_id"] == keep
    assert post(world, "grid", keep, "merge", into=keep).status_code == 422
