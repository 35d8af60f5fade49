"""Privacy by design: sealed identifiers, masking, audited reads, retention, subject rights."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from rescity.community.alerts.adapters import Alert
from rescity.community.residents import privacy
from rescity.community.residents import reseal as resealing
from rescity.community.residents.adapters import DeletionRequest
from rescity.community.shared.adapters import CareFlag, Resident
from rescity.community.shared.runtime import field_policies
from rescity.core.audit import AuditEntry
from rescity.core.security.personal_data import Sensitivity
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import ALICE_ID, ALICE_PHONE, CAROL_PHONE, World


def _raw_dump(world: World, table: str) -> str:
    with world.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {table}")).all()
    return repr(rows)


def test_phone_and_national_id_are_unreadable_in_the_raw_database(world: World) -> None:
    world.call("alice", "POST", "/api/community/visitors", json={
        "name": "Vee", "phone": "13700001111", "expected_from": "2026-11-23T01:00:00Z",
        "expected_until": "2026-11-23T05:00:00Z"})
    dump = _raw_dump(world, "community_resident") + _raw_dump(world, "community_visitor")
    for plain in (ALICE_PHONE, ALICE_ID, CAROL_PHONE, "13700001111", "1234", "4518"):
        assert plain not in dump
    assert "v1:k1:" in dump  # sealed with the configured key
    audit_dump = _raw_dump(world, "audit_log")
    assert ALICE_PHONE not in audit_dump and ALICE_ID not in audit_dump


def test_lookup_digests_are_keyed_not_plain_hashes(world: World) -> None:
    import hashlib

    with UnitOfWork(world.factory) as uow:
        alice = uow.session.get(Resident, world.ids["alice"])
        assert alice is not None and alice.phone_digest is not None
        assert alice.phone_digest != hashlib.sha256(ALICE_PHONE.encode()).hexdigest()
        assert alice.phone_digest == world.runtime.cipher.lookup_digest(
            ALICE_PHONE, context="resident.phone"
        )


def test_views_mask_identifiers_unless_role_and_purpose_allow(world: World) -> None:
    path = f"/api/community/residents/{world.ids['alice']}"
    plain = world.call("grid_a1", "GET", path).json()
    assert plain["phone"] == "138****1234"
    assert plain["national_id"] == ALICE_ID[:3] + "*" * 11 + ALICE_ID[-4:]
    # A grid worker with a purpose the field policy accepts sees the phone, not the ID.
    shown = world.call("grid_a1", "GET", path,
                       params={"reveal": ["phone", "national_id"], "purpose": "contact"}).json()
    assert shown["phone"] == ALICE_PHONE and shown["revealed"] == ["phone"]
    assert "*" in shown["national_id"]
    # A purpose the policy does not list reveals nothing; no purpose at all is refused.
    nosy = world.call("grid_a1", "GET", path, params={"reveal": "phone", "purpose": "curious"})
    assert nosy.json()["phone"] == "138****1234"
    assert world.call("grid_a1", "GET", path, params={"reveal": "phone"}).status_code == 422
    # The resident has no reveal action: her own view is masked too; her export is not.
    assert world.call("alice", "GET", path).json()["phone"] == "138****1234"
    export = world.call("alice", "GET", "/api/community/me/data").json()
    assert export["resident"]["phone"] == ALICE_PHONE


def test_every_read_of_personal_data_is_audited_with_purpose_and_what_was_shown(
    world: World,
) -> None:
    path = f"/api/community/residents/{world.ids['alice']}"
    world.call("grid_a1", "GET", path, params={"reveal": "phone", "purpose": "emergency"})
    world.call("grid_a1", "GET", "/api/community/residents")
    world.call("health", "GET", "/api/community/checkins")
    world.call("grid_a1", "GET", "/api/community/checkins/missing")
    world.call("alice", "GET", "/api/community/me/data")
    with UnitOfWork(world.factory) as uow:
        rows = uow.session.scalars(select(AuditEntry).where(AuditEntry.kind == "read")).all()
        by_action = {(r.actor, r.action): (r.purpose, r.detail, r.record_id) for r in rows}
    purpose, detail, record_id = by_action[("grid_a1", "community.resident.read")]
    assert purpose == "emergency" and detail == {"revealed": ["phone"]}
    assert record_id == str(world.ids["alice"])
    assert ("grid_a1", "community.resident.list") in by_action
    assert ("health", "community.checkin.read") in by_action
    assert ("grid_a1", "community.checkin.missing") in by_action
    assert ("alice", "community.resident.export") in by_action


def test_field_policy_covers_every_personal_column(world: World) -> None:
    table = field_policies()
    personal_columns = {
        ("resident", "name"), ("resident", "phone"), ("resident", "national_id"),
        ("resident", "birth_year"), ("resident", "quarantine_until"), ("care_flag", "kind"),
        ("checkin", "temperature_c"), ("checkin", "symptoms"), ("checkin", "risk"),
        ("visitor", "name"), ("visitor", "phone"),
    }
    for record, name in personal_columns:
        policy = table.get(record, name)
        assert policy.purpose and policy.retention_days >= 0
    assert table.get("resident", "phone").encrypted and table.get("resident", "phone").masked
    assert table.get("checkin", "temperature_c").sensitivity is Sensitivity.SPECIAL
    # Sealed columns exist only for fields marked encrypted.
    columns = {c["name"] for c in inspect(world.engine).get_columns("community_resident")}
    for p in table.for_record("resident"):
        assert (f"{p.field}_sealed" in columns) == p.encrypted


def test_purge_deletes_and_de_identifies_what_outlived_its_retention(world: World) -> None:
    world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 36.5})
    world.call("grid_a1", "POST", f"/api/community/residents/{world.ids['carol']}/care-flags",
               json={"kind": "chronic_illness", "purpose": "medicine delivery",
                     "consent_by": "resident"})
    token = world.call("carol", "GET", "/api/community/me/pass").json()["token"]
    r = world.call("grid_a1", "POST", f"/api/community/residents/{world.ids['carol']}/moved-out")
    assert r.status_code == 204  # moved away today
    world.call("manager", "POST", "/api/community/gates",
               json={"community": "a", "code": "north", "name": "N"})
    scan = world.call("manager", "POST", "/api/community/gate-events",
                      json={"gate": "north", "direction": "in", "token": token})
    assert scan.json()["outcome"] == "revoked"
    # 10 days later nothing has expired yet.
    world.clock.advance(days=10)
    with UnitOfWork(world.factory) as uow:
        report = privacy.purge(uow, world.runtime)
    assert report.counts == {}
    # 40 days later: check-ins (28 d) are gone, Carol (30 d after leaving) is de-identified.
    world.clock.advance(days=30)
    with UnitOfWork(world.factory) as uow:
        report = privacy.purge(uow, world.runtime)
    assert report.counts["checkins deleted"] == 1
    assert report.counts["gate events deleted"] == 1
    assert report.counts["residents who left de-identified"] == 1
    with UnitOfWork(world.factory) as uow:
        carol = uow.session.get(Resident, world.ids["carol"])
        assert carol is not None
        assert carol.name == privacy.ERASED_NAME and carol.phone_sealed is None
        assert carol.erased_at is not None
        assert uow.session.scalar(select(CareFlag.id)) is None
        alice = uow.session.get(Resident, world.ids["alice"])
        assert alice is not None and alice.name == "Alice Test"  # still living there
        purge_rows = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "community.purge")
        ).all()
        assert len(purge_rows) == 2
    # Running it again changes nothing.
    with UnitOfWork(world.factory) as uow:
        assert privacy.purge(uow, world.runtime).counts == {}


def test_a_resident_exports_everything_held_and_asks_for_deletion(world: World) -> None:
    world.call("alice", "POST", "/api/community/checkins", json={"temperature_c": 38.0})
    data = world.call("alice", "GET", "/api/community/me/data").json()
    assert data["resident"]["national_id"] == ALICE_ID
    assert len(data["checkins"]) == 1 and data["checkins"][0]["fever"] is True
    assert data["alerts_about_me"][0]["kind"] == "fever"
    assert data["how_we_handle_it"]["resident.phone"]["retention_days"] == 30
    r = world.call("alice", "POST", "/api/community/me/deletion-request")
    assert r.status_code == 202 and r.json()["status"] == "pending"
    # The grid worker erases her: identifiers and health data are gone, the alert unlinked.
    erased = world.call("grid_a1", "POST", f"/api/community/residents/{world.ids['alice']}/erase")
    assert erased.status_code == 204
    dump = _raw_dump(world, "community_resident") + _raw_dump(world, "community_checkin")
    assert "Alice Test" not in dump and "v1:k1" not in _raw_dump(world, "community_checkin")
    assert world.call("alice", "GET", "/api/community/me/data").status_code == 404
    with UnitOfWork(world.factory) as uow:
        req = uow.session.scalar(select(DeletionRequest))
        assert req is not None and req.status == "done"
        alert = uow.session.scalar(select(Alert))
        assert alert is not None and alert.subject_id is None


def test_key_rotation_keeps_stored_identifiers_readable(world: World) -> None:
    from rescity.core.security.personal_data import new_key_spec

    rotated = world.runtime.settings.model_copy(
        update={"data_keys": new_key_spec("k2") + "," + world.runtime.settings.data_keys}
    )
    from rescity.community.shared.runtime import Runtime

    newer = Runtime.create(rotated, clock=world.clock)
    world.client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    from rescity.community.shared.deps import get_runtime

    world.client.app.dependency_overrides[get_runtime] = lambda: newer  # type: ignore[attr-defined]
    shown = world.call("grid_a1", "GET", f"/api/community/residents/{world.ids['alice']}",
                       params={"reveal": "phone", "purpose": "contact"}).json()
    assert shown["phone"] == ALICE_PHONE
    # A new registration is sealed with the new key, and the digest still finds duplicates.
    r = world.call("grid_a1", "POST", "/api/community/residents",
                   json={"household_id": world.ids["h2"], "name": "Dup", "national_id": ALICE_ID})
    assert r.status_code == 409
    # `rescity community reseal` moves every stored value to the new key.
    with UnitOfWork(world.factory) as uow:
        report = resealing.reseal_all(uow, newer)
    assert report.total == 3  # Alice's phone and ID, Carol's phone
    assert report.moved["community_resident.phone_sealed"] == 2 and not report.unreadable
    dump = _raw_dump(world, "community_resident")
    assert "v1:k2:" in dump and "v1:k1:" not in dump
    with UnitOfWork(world.factory) as uow:
        assert resealing.reseal_all(uow, newer).total == 0
