"""The everyday pages of a community office (issue 15, item 8), on both backends.

Alert rows say what the alert is about with a link, the resident's dwelling and a number to
call for those who may see them; a resident checks in for a member of their household (not
of another); the report-a-problem form asks each type's questions and a rejected post comes
back as the form with the problems, never as JSON.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rescity.community.alerts import subjects as alert_subjects
from rescity.community.alerts.domain import Severity
from rescity.community.alerts.services import raise_alert
from rescity.community.health.adapters import CheckIn
from rescity.core.audit import AuditEntry
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import ALICE_PHONE, PASSWORD, World

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def signed_in(world: World, username: str) -> TestClient:
    """A browser-like client of the world's app, signed in through the login form."""
    client = TestClient(world.client.app, headers={"accept": "text/html"})
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    r = client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token.group(1), "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303
    return client


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _alert(world: World, **kw: Any) -> int:
    with UnitOfWork(world.factory) as uow:
        alert = raise_alert(uow.session, scope=_scope(world, "a1"), now=world.clock(), **kw)
        uow.commit()
        return alert.id


def _scope(world: World, code: str) -> str:
    from rescity.core.places import get_place

    with UnitOfWork(world.factory) as uow:
        return get_place(uow.session, code).path


def _row(html: str, alert_id: int) -> str:
    start = html.index(f'id="alert-{alert_id}"')
    return html[start:html.index("</article>", start)]


def _audit(world: World, action: str) -> list[AuditEntry]:
    with UnitOfWork(world.factory) as uow:
        rows = list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        uow.session.expunge_all()
        return rows


def test_alert_rows_name_and_link_their_subject_with_dwelling_and_telephone(
    world: World,
) -> None:
    door = _alert(world, kind="quarantine_breach", severity=Severity.HIGH, source="sensor",
                  source_ref="device:door-101", subject_type="resident",
                  subject_id=world.ids["alice"],
                  detail={"rule": "quarantine_door_opened", "device": "door-101"})
    case = _alert(world, kind="case_overdue", severity=Severity.MEDIUM, source="sweep",
                  source_ref="case:7", subject_type="case", subject_id=7)
    help_ = _alert(world, kind="help_unmatched", severity=Severity.HIGH, source="help",
                   source_ref="help_request:3", subject_type="help_request", subject_id=3)
    tamper = _alert(world, kind="sensor_tamper", severity=Severity.MEDIUM, source="sensor",
                    source_ref="device:door-101", detail={"rule": "door_magnet_tampered"})

    page = signed_in(world, "grid_a1").get("/community/alerts")
    assert page.status_code == 200
    html = page.text
    row = _row(html, door)
    assert "Home quarantine: door opened" in row and "at a gate" not in row
    assert f'href="/community/residents/{world.ids["alice"]}"' in row and "Alice Test" in row
    assert "网格A1 1-2-101" in row  # the grid and the dwelling
    assert f'href="tel:{ALICE_PHONE}"' in row
    assert 'href="/community/sensors#device-door-101"' in row
    assert 'href="/community/cases/7"' in _row(html, case)
    assert "Work order overdue" in _row(html, case)
    assert 'href="/community/help#help-3"' in _row(html, help_)
    assert "Help request without a volunteer" in _row(html, help_)
    assert "Door sensor tampered with" in _row(html, tamper)
    # No raw message keys anywhere, and times in the deployment's zone (10:00 in Shanghai).
    assert "c.kind." not in html and "c.rule." not in html and "c.subject." not in html
    assert "2026-11-23 10:00 CST" in row
    # The read of the dwelling and the number is in the audit log, with whose number.
    [read] = _audit(world, "community.alert.subjects")
    assert read.detail["ids"] == [world.ids["alice"]]
    assert read.detail["revealed_phone"] == [world.ids["alice"]]


def test_without_the_reveal_purpose_the_number_is_masked_and_not_a_link(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alert_subjects, "PURPOSE", "curiosity")  # not one of phone's purposes
    door = _alert(world, kind="fever", severity=Severity.HIGH, source="checkin",
                  subject_type="resident", subject_id=world.ids["alice"])
    row = _row(signed_in(world, "grid_a1").get("/community/alerts").text, door)
    assert "tel:" not in row and ALICE_PHONE not in row
    assert "138****1234" in row
    [read] = _audit(world, "community.alert.subjects")
    assert read.detail["revealed_phone"] == []


def test_a_health_officer_sees_the_name_but_not_the_register(world: World) -> None:
    fever = _alert(world, kind="fever", severity=Severity.HIGH, source="checkin",
                   subject_type="resident", subject_id=world.ids["alice"],
                   detail={"temperature_c": 38.4})
    row = _row(signed_in(world, "health").get("/community/alerts").text, fever)
    assert "Alice Test" in row and "38.4 °C" in row
    assert "tel:" not in row and "1-2-101" not in row and "/community/residents/" not in row


def test_the_residents_page_shows_the_household_and_refuses_other_grids(world: World) -> None:
    grid = signed_in(world, "grid_a1")
    page = grid.get(f"/community/residents/{world.ids['alice']}")
    assert page.status_code == 200
    assert f'href="tel:{ALICE_PHONE}"' in page.text
    assert f'href="/community/residents/{world.ids["bob"]}"' in page.text
    assert _audit(world, "community.resident.read")[-1].record_id == str(world.ids["alice"])
    other = signed_in(world, "grid_b1").get(f"/community/residents/{world.ids['alice']}")
    assert other.status_code == 404
    assert "text/html" in other.headers["content-type"]


def test_the_sensor_list_shows_devices_in_scope_only(world: World) -> None:
    from rescity.community.sensors.domain import sensor_rules
    from rescity.community.sensors.services import register_device
    from rescity.core.accounts import User, principal_of
    from rescity.core.places import get_place

    with UnitOfWork(world.factory) as uow:
        admin = principal_of(uow.session.scalar(select(User).where(User.username == "admin")))
        register_device(uow, admin, code="door-101", kind="door_magnet",
                        place=get_place(uow.session, "a1"), rules=sensor_rules(),
                        resident_id=world.ids["alice"])
        register_device(uow, admin, code="cam-b1", kind="camera",
                        place=get_place(uow.session, "b1"), rules=sensor_rules())
    html = signed_in(world, "grid_a1").get("/community/sensors").text
    assert 'id="device-door-101"' in html and "Door sensor" in html
    assert "cam-b1" not in html
    assert signed_in(world, "alice").get("/community/sensors").status_code == 403


def test_a_resident_checks_in_for_a_household_member_on_the_page(world: World) -> None:
    alice = signed_in(world, "alice")
    form = alice.get("/community/checkin").text
    assert 'name="resident_id"' in form and "Bob Test" in form and "Carol" not in form
    r = alice.post("/community/checkin", data={
        "csrf_token": csrf(form), "idempotency_key": "k" * 16, "temperature_c": "36.6",
        "resident_id": str(world.ids["bob"])}, follow_redirects=False)
    assert r.status_code == 303 and f"who={world.ids['bob']}" in r.headers["location"]
    assert "Bob Test" in alice.get(r.headers["location"]).text
    with UnitOfWork(world.factory) as uow:
        [checkin] = uow.session.scalars(select(CheckIn))
        assert checkin.resident_id == world.ids["bob"]
        assert checkin.submitted_by == world.ids["user_alice"]
    [write] = _audit(world, "community.checkin.create")
    assert write.actor_id == world.ids["user_alice"]
    assert write.detail == {"for_resident": world.ids["bob"]}


def test_a_member_of_another_household_is_refused(world: World) -> None:
    alice = signed_in(world, "alice")
    form = alice.get("/community/checkin").text
    r = alice.post("/community/checkin", data={
        "csrf_token": csrf(form), "idempotency_key": "k" * 16, "temperature_c": "36.6",
        "resident_id": str(world.ids["carol"])}, follow_redirects=False)
    assert r.status_code == 403
    assert "text/html" in r.headers["content-type"]
    with UnitOfWork(world.factory) as uow:
        assert list(uow.session.scalars(select(CheckIn))) == []
    assert _audit(world, "community.checkin.create") == []


def test_the_report_form_asks_every_types_required_questions(world: World) -> None:
    html = signed_in(world, "alice").get("/community/cases/new").text
    for field in ("attr.emergency_repair.people_trapped", "attr.utility_outage.utility",
                  "attr.utility_outage.households"):
        assert f'name="{field}"' in html
    assert "Is anyone trapped?" in html and "Which service is out?" in html


@pytest.mark.parametrize("accept", ["text/html,application/xhtml+xml", "*/*"])
def test_a_report_without_a_required_answer_comes_back_as_the_form(
    world: World, accept: str,
) -> None:
    alice = signed_in(world, "alice")
    html = alice.get("/community/cases/new").text
    place = re.search(r'<select name="place" id="place">\s*<option value="(\d+)"', html)
    assert place
    r = alice.post("/community/cases/new", headers={"accept": accept}, data={
        "csrf_token": csrf(html), "service_code": "emergency_repair", "place": place.group(1),
        "description": "Lift stuck between floors 3 and 4", "address": "Block 1",
        "attr.emergency_repair.people_trapped": ""}, follow_redirects=False)
    assert r.status_code == 422
    assert "text/html" in r.headers["content-type"]
    page = r.text
    assert 'id="form-errors"' in page and "Is anyone trapped?" in page
    assert 'id="attr.emergency_repair.people_trapped-error"' in page
    assert "please answer this" in page
    assert "Lift stuck between floors 3 and 4" in page  # what was typed is kept
    assert 'value="emergency_repair" selected' in page


def test_a_report_with_its_answers_is_filed(world: World) -> None:
    alice = signed_in(world, "alice")
    html = alice.get("/community/cases/new").text
    place = re.search(r'<select name="place" id="place">\s*<option value="(\d+)"', html)
    assert place
    r = alice.post("/community/cases/new", data={
        "csrf_token": csrf(html), "service_code": "utility_outage", "place": place.group(1),
        "description": "No water since 6 am", "attr.utility_outage.utility": "water",
        "attr.utility_outage.households": "12",
        # another type's answer is not sent with this one
        "attr.emergency_repair.people_trapped": "yes"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    case = world.call("alice", "GET", "/api/community/cases/" + r.headers["location"].rsplit(
        "/", 1)[1]).json()
    assert case["attributes"] == {"utility": "water", "households": 12.0}


def test_invalid_form_fields_give_an_html_page_naming_the_field_but_json_to_api_callers(
    world: World,
) -> None:
    alice = signed_in(world, "alice")
    html = alice.get("/community/checkin").text
    # A phone browser that sends Accept: */* with a form post missing a required field.
    r = alice.post("/community/checkin", headers={"accept": "*/*"},
                   data={"csrf_token": csrf(html), "idempotency_key": "k" * 16})
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]
    assert "temperature_c" in r.text and 'id="error-problems"' in r.text
    api = world.call("alice", "POST", "/api/community/checkins", json={})
    assert api.status_code == 422 and api.headers["content-type"] == "application/json"
    asks_json = alice.post("/community/checkin", headers={"accept": "application/json"},
                           data={"csrf_token": csrf(html), "idempotency_key": "k" * 16})
    assert asks_json.status_code == 422 and asks_json.json()["problems"]


def test_a_service_refusing_a_form_post_gives_a_page_naming_each_field(world: World) -> None:
    alice = signed_in(world, "alice")
    html = alice.get("/community/help").text
    place = re.search(r'<select name="place" id="place">\s*<option value="(\d+)"', html)
    assert place
    r = alice.post("/community/help", headers={"accept": "*/*", "accept-language": "en"}, data={
        "csrf_token": csrf(html), "place": place.group(1), "kind": "no-such-kind"})
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]
    assert "Some of what was sent is not valid" in r.text  # in the browser's language
    problems = r.text[r.text.index('id="error-problems"'):]
    assert "<code>kind</code>: one of groceries" in problems
