"""Key rotation covers every sealed column, not only the residents' (a review found volunteer
phones, help-request contacts and case reporters left on the old key: removing it then lost
them). On SQLite and PostgreSQL: rotate, reseal, drop the old key, read everything back
through the ordinary API paths."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rescity.community.cases.deps import STATE_KEY
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.residents import reseal as resealing
from rescity.community.shared.runtime import Runtime
from rescity.core.audit import AuditEntry
from rescity.core.config import Settings
from rescity.core.security.personal_data import new_key_spec
from rescity.web.app import create_app
from tests.community.casework import World
from tests.community.conftest import national_id
from tests.community.help.test_help_api import ask, match, offers, volunteer

from .test_cases_api import file

VOL_PHONE, HELP_PHONE, CALLER_PHONE, RES_PHONE = (
    "13700000000", "13812341234", "13911112222", "13655556666")
RES_ID = national_id("11010119850611123")


def dev_key(settings: Settings) -> str:
    """The development key the test settings (no ``data_keys``) seal with, as a key spec."""
    raw = hashlib.sha256(b"rescity-dev-data-key:" + settings.secret_key.encode()).digest()
    return "dev:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def client_with(w: World, settings: Settings) -> Iterator[TestClient]:
    """The same database served by an app restarted with other settings (other keys)."""
    app = create_app(settings, engine=w.session_factory.kw["bind"])
    setattr(app.state, STATE_KEY, OpsRuntime.create(settings, clock=w.clock))
    with TestClient(app) as client:
        yield client


def sealed_everywhere(w: World) -> dict[str, Any]:
    """A volunteer's phone, a help request's contact, a case reporter, a resident's phone."""
    vid = int(volunteer(w, "vol")["id"])
    rid = int(ask(w, contact_phone=HELP_PHONE)["id"])
    assert match(w)["offers"] == 1
    [offer] = offers(w, "vol")
    accepted = w.client.post(f"/api/community/help-offers/{offer['id']}/accept",
                             headers=w.h["vol"])
    assert accepted.status_code == 200, accepted.text
    case_id = int(file(w, who="grid", channel="hotline", caller_name="Li Lei",
                       caller_phone=CALLER_PHONE)["id"])
    hh = w.client.post("/api/community/households", headers=w.h["grid"],
                       json={"grid": "a1", "building": "3", "room": "101"})
    assert hh.status_code == 201, hh.text
    res = w.client.post("/api/community/residents", headers=w.h["grid"], json={
        "household_id": hh.json()["id"], "name": "Zhao Min", "phone": RES_PHONE,
        "national_id": RES_ID})
    assert res.status_code == 201, res.text
    return {"volunteer": vid, "request": rid, "case": case_id, "resident": int(res.json()["id"]),
            "household": int(hh.json()["id"])}


def read_back(client: TestClient, w: World, ids: dict[str, Any]) -> None:
    """Every value, opened through the service path its users take."""
    [row] = client.get("/api/community/volunteers?purpose=coordination",
                       headers=w.h["grid"]).json()
    assert row["phone"] == VOL_PHONE and row["phone_revealed"] is True
    contact = client.get(f"/api/community/help/{ids['request']}/contact", headers=w.h["vol"])
    assert contact.status_code == 200, contact.text
    assert contact.json()["phone"] == HELP_PHONE
    reporter = client.get(f"/api/community/cases/{ids['case']}/reporter?purpose=callback",
                          headers=w.h["grid"])
    assert reporter.json() == {"name": "Li Lei", "phone": CALLER_PHONE}
    resident = client.get(f"/api/community/residents/{ids['resident']}",
                          params={"reveal": "phone", "purpose": "contact"}, headers=w.h["grid"])
    assert resident.status_code == 200, resident.text
    assert resident.json()["phone"] == RES_PHONE
    # The lookup digest still finds her national ID: a second registration is refused.
    again = client.post("/api/community/residents", headers=w.h["grid"], json={
        "household_id": ids["household"], "name": "Zhao Min 2", "national_id": RES_ID})
    assert again.status_code == 409, again.text


def test_after_reseal_the_old_key_can_go_and_every_sealed_value_still_opens(
    world: World,
) -> None:
    w = world
    ids = sealed_everywhere(w)
    old, new = dev_key(w.settings), new_key_spec("k2")
    rotated = w.settings.model_copy(update={"data_keys": f"{new},{old}"})
    with w.uow() as uow:
        report = resealing.reseal_all(uow, Runtime.create(rotated, clock=w.clock), batch=1)
    assert report.key_id == "k2" and not report.unreadable
    for label in ("community_ops_volunteer.phone_sealed",
                  "community_ops_help_request.contact_sealed",
                  "community_ops_case.reporter_contact_sealed",
                  "community_resident.phone_sealed"):
        assert report.moved[label] == 1, label
    # Nothing sealed anywhere is left on the old key.
    with w.uow() as uow:
        for column in resealing.sealed_columns():
            col = getattr(column.model, column.column)
            values = uow.session.scalars(select(col).where(col.is_not(None))).all()
            assert not [v for v in values if v and not v.startswith("v1:k2:")], column.label
    # Running it again moves nothing; the audit log has both runs with their counts.
    with w.uow() as uow:
        assert resealing.reseal_all(uow, Runtime.create(rotated, clock=w.clock)).total == 0
        runs = uow.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "community.reseal").order_by(AuditEntry.id)).all()
        assert [r.detail["moved"]["community_ops_volunteer.phone_sealed"] for r in runs] == [1, 0]
    # The old key removed, as the rotation procedure says: everything still reads.
    for client in client_with(w, w.settings.model_copy(update={"data_keys": new})):
        read_back(client, w, ids)


def test_without_reseal_dropping_the_old_key_loses_the_values(world: World) -> None:
    """The failure the reseal prevents (so the test above cannot pass vacuously)."""
    w = world
    ids = sealed_everywhere(w)
    only_new = w.settings.model_copy(update={"data_keys": new_key_spec("k2")})
    for client in client_with(w, only_new):
        with pytest.raises(ValueError, match=r"cannot open sealed volunteer\.phone value"):
            read_back(client, w, ids)
    with w.uow() as uow:
        report = resealing.reseal_all(uow, Runtime.create(only_new, clock=w.clock))
    assert report.total == 0
    assert report.unreadable["community_ops_volunteer.phone_sealed"] == [ids["volunteer"]]
    assert report.unreadable["community_ops_case.reporter_contact_sealed"] == [ids["case"]]
