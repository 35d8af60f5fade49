"""The resident's rights and the retention job.

- :func:`subject_export`: everything held about the signed-in resident, unmasked for them.
- :func:`request_deletion` / :func:`erase`: a resident asks; a grid worker erases at once.
- :func:`purge`: deletes or de-identifies what has outlived its retention period, as the
  field-policy tables say (part I's ``personal_fields.toml`` and part II's
  ``personal_fields_ops.toml``); safe to run daily and repeatedly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, delete, or_, select, update
from sqlalchemy.orm import Session

from rescity.community.access.adapters import GateEvent, Pass, Visitor
from rescity.community.alerts.adapters import Alert
from rescity.community.alerts.domain import AlertStatus
from rescity.community.cases.adapters import WorkOrder
from rescity.community.cases.runtime import field_policies as casework_field_policies
from rescity.community.health.adapters import CheckIn
from rescity.community.help.adapters import HelpRequest, Volunteer
from rescity.community.outbreak import retention as outbreak_retention
from rescity.community.residents.adapters import DeletionRequest
from rescity.community.shared.adapters import CareFlag, IdempotencyRecord, Resident
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.scoping import get_resident, own_resident, resident_target
from rescity.core import audit
from rescity.core.accounts import RoleGrant
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, NotFound
from rescity.core.places import contains
from rescity.core.security.personal_data import FieldPolicy, FieldPolicyTable
from rescity.core.security.policy import Principal, require
from rescity.core.storage.uow import UnitOfWork

ERASED_NAME = "(erased)"
IDEMPOTENCY_DAYS = 7  # long enough for any phone to retry a queued submission


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def subject_export(uow: UnitOfWork, rt: Runtime, principal: Principal) -> dict[str, Any]:
    """All data about the signed-in resident (their right of access), as one JSON document."""
    session = uow.session
    me = own_resident(session, principal)
    if me is None:
        raise NotFound("you are not registered as a resident")
    require(principal, "community.resident.export", resident_target(session, principal, me))
    opened = {
        name: rt.cipher.open(sealed, context=f"resident.{name}")
        for name in ("phone", "national_id")
        if (sealed := getattr(me, f"{name}_sealed")) is not None
    }
    policies = {
        f"{p.record}.{p.field}": {
            "sensitivity": p.sensitivity.value, "purpose": p.purpose,
            "retention_days": p.retention_days, "counted_from": p.retention_from,
        }
        for p in rt.fields
    }
    data: dict[str, Any] = {
        "resident": {
            "id": me.id, "name": me.name, "phone": opened.get("phone"),
            "national_id": opened.get("national_id"), "birth_year": me.birth_year,
            "relation": me.relation, "registered_via": me.registered_via,
            "quarantine_until": _iso(me.quarantine_until), "created_at": _iso(me.created_at),
            "deletion_requested_at": _iso(me.deletion_requested_at),
        },
        "care_flags": [
            {"kind": f.kind, "purpose": f.purpose, "consent_by": f.consent_by,
             "consent_at": _iso(f.consent_at), "withdrawn_at": _iso(f.withdrawn_at)}
            for f in session.scalars(select(CareFlag).where(CareFlag.resident_id == me.id))
        ],
        "checkins": [
            {"at": _iso(c.at), "temperature_c": c.temperature_c, "symptoms": c.symptoms,
             "risk": c.risk, "fever": c.fever}
            for c in session.scalars(select(CheckIn).where(CheckIn.resident_id == me.id))
        ],
        "passes": [
            {"id": p.id, "issued_at": _iso(p.issued_at), "expires_at": _iso(p.expires_at),
             "revoked_at": _iso(p.revoked_at)}
            for p in session.scalars(select(Pass).where(Pass.resident_id == me.id))
        ],
        "gate_events": [
            {"at": _iso(e.at), "direction": e.direction, "outcome": e.outcome}
            for e in session.scalars(select(GateEvent).where(GateEvent.resident_id == me.id))
        ],
        "visitors": [
            {"name": v.name, "expected_from": _iso(v.expected_from),
             "expected_until": _iso(v.expected_until), "purpose": v.purpose}
            for v in session.scalars(select(Visitor).where(Visitor.host_resident_id == me.id))
        ],
        "alerts_about_me": [
            {"kind": a.kind, "status": a.status, "created_at": _iso(a.created_at)}
            for a in session.scalars(
                select(Alert).where(Alert.subject_type == "resident", Alert.subject_id == me.id)
            )
        ],
        "how_we_handle_it": policies,
        "exported_at": _iso(rt.now()),
    }
    audit.record(
        session, principal, kind=AuditKind.READ, action="community.resident.export",
        record_type="resident", record_id=me.id, scope=me.scope, purpose="subject access",
    )
    uow.commit()
    return data


def request_deletion(uow: UnitOfWork, rt: Runtime, principal: Principal) -> DeletionRequest:
    session = uow.session
    me = own_resident(session, principal)
    if me is None:
        raise NotFound("you are not registered as a resident")
    require(principal, "community.resident.delete_request", resident_target(session, principal, me))
    pending = session.scalar(
        select(DeletionRequest).where(
            DeletionRequest.resident_id == me.id, DeletionRequest.status == "pending"
        )
    )
    if pending is not None:
        return pending
    request = DeletionRequest(
        resident_id=me.id, scope=me.scope, requested_by=principal.user_id, requested_at=rt.now()
    )
    me.deletion_requested_at = rt.now()
    session.add(request)
    session.flush()
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.resident.delete_request",
        record_type="resident", record_id=me.id, scope=me.scope,
    )
    uow.commit()
    return request


def _erase_resident(session: Session, resident: Resident, now: datetime) -> None:
    resident.name = ERASED_NAME
    resident.phone_sealed = resident.phone_digest = None
    resident.national_id_sealed = resident.national_id_digest = None
    resident.birth_year = None
    resident.quarantine_until = None
    resident.user_id = None
    resident.erased_at = now
    resident.left_at = resident.left_at or now
    session.execute(delete(CareFlag).where(CareFlag.resident_id == resident.id))
    session.execute(delete(CheckIn).where(CheckIn.resident_id == resident.id))
    session.execute(delete(Visitor).where(Visitor.host_resident_id == resident.id))
    session.execute(
        update(GateEvent).where(GateEvent.resident_id == resident.id).values(resident_id=None)
    )
    session.execute(
        update(Pass).where(Pass.resident_id == resident.id, Pass.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(Alert).where(Alert.subject_type == "resident", Alert.subject_id == resident.id)
        .values(subject_id=None)
    )


def erase(uow: UnitOfWork, rt: Runtime, principal: Principal, resident_id: int) -> None:
    """Erase a resident now (their deletion request, or they moved away for good)."""
    session = uow.session
    resident = get_resident(session, principal, resident_id, "community.resident.erase")
    if resident.erased_at is not None:
        raise Conflict(f"resident {resident_id} is already erased")
    now = rt.now()
    _erase_resident(session, resident, now)
    for req in session.scalars(
        select(DeletionRequest).where(
            DeletionRequest.resident_id == resident.id, DeletionRequest.status == "pending"
        )
    ):
        req.status, req.handled_by, req.handled_at = "done", principal.user_id, now
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.resident.erase",
        record_type="resident", record_id=resident.id, scope=resident.scope,
    )
    uow.commit()


def _end_resident_grants(session: Session, resident: Resident) -> None:
    """The user's resident role on the place they left ends with their residence: no more
    household reads or check-ins for it (deleted one by one so the token caches hear it)."""
    if resident.user_id is None:
        return
    for grant in session.scalars(
        select(RoleGrant).where(RoleGrant.user_id == resident.user_id, RoleGrant.role == "resident")
    ):
        if contains(grant.scope, resident.scope):
            session.delete(grant)


def mark_moved_out(uow: UnitOfWork, rt: Runtime, principal: Principal, resident_id: int) -> None:
    """The resident left the community: passes end now, the retention clock starts."""
    session = uow.session
    resident = get_resident(session, principal, resident_id, "community.resident.moved_out")
    if resident.left_at is not None:
        raise Conflict(f"resident {resident_id} has already moved out")
    now = rt.now()
    resident.left_at = now
    session.execute(
        update(Pass).where(Pass.resident_id == resident.id, Pass.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=principal.user_id)
    )
    _end_resident_grants(session, resident)
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.resident.moved_out",
        record_type="resident", record_id=resident.id, scope=resident.scope,
    )
    uow.commit()


@dataclass
class PurgeReport:
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int) -> None:
        if n:
            self.counts[what] = self.counts.get(what, 0) + n


def _days(rt: Runtime, record: str, field_name: str) -> timedelta:
    return timedelta(days=rt.fields.get(record, field_name).retention_days)


def purge(uow: UnitOfWork, rt: Runtime) -> PurgeReport:
    """Apply every retention period once, as of ``rt.now()``; commits; audited as a write."""
    session = uow.session
    now = rt.now()
    report = PurgeReport(now)

    def removed(stmt: Any) -> int:
        return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]

    report.add("checkins deleted", removed(
        delete(CheckIn).where(CheckIn.at < now - _days(rt, "checkin", "temperature_c"))
    ))
    report.add("gate events deleted", removed(
        delete(GateEvent).where(GateEvent.at < now - _days(rt, "gate_event", "at"))
    ))
    report.add("visitors deleted", removed(
        delete(Visitor).where(Visitor.expected_until < now - _days(rt, "visitor", "name"))
    ))
    report.add("withdrawn care flags deleted", removed(
        delete(CareFlag).where(
            CareFlag.withdrawn_at.is_not(None),
            CareFlag.withdrawn_at <= now - _days(rt, "care_flag", "kind"),
        )
    ))
    report.add("ended quarantines erased", removed(
        update(Resident).where(
            Resident.quarantine_until.is_not(None),
            Resident.quarantine_until < now - _days(rt, "resident", "quarantine_until"),
        ).values(quarantine_until=None)
    ))
    gone = session.scalars(
        select(Resident).where(
            Resident.erased_at.is_(None), Resident.left_at.is_not(None),
            Resident.left_at < now - _days(rt, "resident", "name"),
        )
    ).all()
    for resident in gone:
        _erase_resident(session, resident, now)
    report.add("residents who left de-identified", len(gone))
    report.add("resolved alerts unlinked from people", removed(
        update(Alert).where(
            Alert.status == AlertStatus.RESOLVED.value, Alert.subject_id.is_not(None),
            Alert.resolved_at < now - _days(rt, "alert", "subject_id"),
        ).values(subject_id=None)
    ))
    _purge_casework(session, casework_field_policies(), now, report)
    for what, n in outbreak_retention.purge(session, now).items():
        report.add(what, n)
    report.add("idempotency records deleted", removed(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.created_at < now - timedelta(days=IDEMPOTENCY_DAYS)
        )
    ))
    audit.record(
        session, None, kind=AuditKind.WRITE, action="community.purge",
        detail={"as_of": now.isoformat(), **report.counts},
    )
    uow.commit()
    return report


# Part II's records with personal fields, by the record name used in personal_fields_ops.toml.
CASEWORK_RECORDS: dict[str, Any] = {"case": WorkOrder, "help_request": HelpRequest,
                               "volunteer": Volunteer}


def _erased_values(model: Any, policy: FieldPolicy) -> tuple[dict[str, Any], list[Any]]:
    """What an erased field becomes (sealed value and lookup digest cleared, plain text
    emptied), and the conditions under which a row still holds something to erase."""
    columns = model.__table__.c
    names = [n for n in (f"{policy.field}_sealed", f"{policy.field}_digest") if n in columns]
    if not names:
        if policy.field not in columns:
            raise ValueError(f"{model.__tablename__} has no column for {policy.record}."
                             f"{policy.field} (personal_fields_ops.toml)")
        names = [policy.field]
    values: dict[str, Any] = {}
    still_held: list[Any] = []
    for name in names:
        col = columns[name]
        if col.nullable:
            values[name] = None
            still_held.append(col.is_not(None))
        else:
            assert isinstance(col.type, String), f"cannot erase {col}"
            values[name] = ""
            still_held.append(col != "")
    return values, still_held


def _purge_casework(
    session: Session, table: FieldPolicyTable, now: datetime, report: PurgeReport
) -> None:
    """Part II (cases, help requests, volunteers): erase each declared personal field once
    its retention period, counted from its declared date, has passed. The records stay, with
    their non-personal facts (type, place, timestamps, outcome) that the monthly scores read."""
    for policy in table:
        model = CASEWORK_RECORDS.get(policy.record)
        if model is None:
            raise ValueError(f"personal_fields_ops.toml: unknown record {policy.record!r}")
        if policy.on_expiry != "erase":
            raise ValueError(f"personal_fields_ops.toml: {policy.record}.{policy.field}: "
                             "part II records are de-identified, not deleted (on_expiry='erase')")
        values, still_held = _erased_values(model, policy)
        counted_from = getattr(model, policy.retention_from)
        if "version" in model.__table__.c:  # optimistic locking: the row did change
            values["version"] = model.version + 1
        stmt = update(model).where(
            counted_from.is_not(None),
            counted_from < now - timedelta(days=policy.retention_days),
            or_(*still_held),
        ).values(values).execution_options(synchronize_session="fetch")
        n = int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]
        label = f"{policy.record} {policy.field}".replace("_", " ")
        report.add(f"{label} erased", n)
