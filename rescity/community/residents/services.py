"""Residents and households: registration, views with masking and audit, updates, care flags.

Every read of a resident writes an audit row naming the reader, the purpose and which
identifiers were shown unmasked. Phone and national ID are sealed (in ``records``) before
they reach the session and only opened here, for a view that is allowed to show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rescity.community.residents.domain import (
    CareKind,
    Channel,
    ConsentBy,
    Relation,
)
from rescity.community.residents.households import ensure_dwelling, grid_of
from rescity.community.residents.records import NewResident as NewResident
from rescity.community.residents.records import build_resident as build_resident
from rescity.community.residents.records import check_new_resident, set_phone
from rescity.community.shared.adapters import CareFlag, Dwelling, Household, Resident
from rescity.community.shared.errors import StaleVersion
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.scoping import (
    get_resident,
    own_resident,
    resident_target,
    scope_filter,
)
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.security.personal_data import mask
from rescity.core.security.policy import Principal, Target, is_allowed, require
from rescity.core.storage.uow import UnitOfWork


@dataclass(frozen=True)
class CareFlagView:
    id: int
    kind: str
    purpose: str
    consent_by: str
    consent_at: datetime


@dataclass(frozen=True)
class ResidentView:
    """What a reader may see of a resident; identifiers masked unless revealed."""

    id: int
    household_id: int
    dwelling: str
    scope: str
    name: str
    phone: str | None
    national_id: str | None
    birth_year: int | None
    relation: str
    registered_via: str
    quarantine_until: datetime | None
    version: int
    care: list[CareFlagView] = field(default_factory=list)
    revealed: tuple[str, ...] = ()
    lives_elsewhere: bool = False  # not at the household's dwelling: ``dwelling`` is theirs


@dataclass(frozen=True)
class Address:
    """A dwelling named by its grid and building/unit/room."""

    grid: str
    building: str
    unit: str
    room: str


def register_resident(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, household_id: int, data: NewResident,
    lives_at: Address | None = None,
) -> Resident:
    """A grid worker registers anyone in their grid; a resident registers a family member.

    ``lives_at``: the member belongs to the household but lives elsewhere (an elderly parent
    in another grid, 人户分离). The family keeps acting for them (check-ins on their behalf),
    and the grid worker where they live sees them.
    """
    session = uow.session
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(f"no household {household_id}")
    elsewhere = None
    if lives_at is not None:
        try:
            grid = grid_of(session, lives_at.grid)
        except NotFound:
            raise InputError([Problem("lives_at.grid", f"no grid '{lives_at.grid}'")]) from None
        except InputError as exc:
            raise InputError([Problem(f"lives_at.{p.where}", p.message)
                              for p in exc.problems]) from None
        elsewhere = ensure_dwelling(session, grid, lives_at.building, lives_at.unit,
                                    lives_at.room)
    mine = own_resident(session, principal)
    if mine is not None and mine.household_id == household.id:
        channel = Channel.FAMILY
        require(
            principal, "community.household.add_member",
            Target(scope=household.scope, owner_id=principal.user_id),
        )
    else:
        channel = Channel.GRID_WORKER
        require(principal, "community.resident.create", Target(scope=household.scope))
    resident = build_resident(session, rt, household, data, channel=channel, by=principal,
                              lives_at=elsewhere)
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.resident.create",
        record_type="resident", record_id=resident.id, scope=resident.scope,
        detail={"channel": channel.value, "household": household.id,
                "lives_elsewhere": elsewhere is not None},
    )
    uow.commit()
    return resident


def view(
    session: Session, rt: Runtime, principal: Principal, resident: Resident, *,
    purpose: str = "", reveal: tuple[str, ...] = (), audit_read: bool = True,
) -> ResidentView:
    """The resident as this principal may see them; records the read in the audit log."""
    shown: list[str] = []
    values: dict[str, str | None] = {}
    for name in ("phone", "national_id"):
        sealed = getattr(resident, f"{name}_sealed")
        if sealed is None:
            values[name] = None
            continue
        policy = rt.fields.get("resident", name)
        plain = rt.cipher.open(sealed, context=policy.context)
        allowed = is_allowed(principal, policy.reveal_action, Target(scope=resident.scope))
        if name in reveal and rt.fields.may_reveal(
            "resident", name, allowed=allowed, purpose=purpose
        ):
            values[name] = plain
            shown.append(name)
        else:
            values[name] = mask(plain)
    dwelling = session.get(Dwelling, resident.dwelling_id) if resident.dwelling_id else (
        session.scalar(
            select(Dwelling).join(Household, Household.dwelling_id == Dwelling.id)
            .where(Household.id == resident.household_id)
        )
    )
    care = [
        CareFlagView(f.id, f.kind, f.purpose, f.consent_by, f.consent_at)
        for f in session.scalars(
            select(CareFlag).where(
                CareFlag.resident_id == resident.id, CareFlag.withdrawn_at.is_(None)
            )
        )
    ]
    if audit_read:
        audit.record(
            session, principal, kind=AuditKind.READ, action="community.resident.read",
            record_type="resident", record_id=resident.id, scope=resident.scope,
            purpose=purpose, detail={"revealed": shown},
        )
    return ResidentView(
        id=resident.id, household_id=resident.household_id,
        dwelling=dwelling.label if dwelling else "", scope=resident.scope, name=resident.name,
        phone=values["phone"], national_id=values["national_id"],
        birth_year=resident.birth_year, relation=resident.relation,
        registered_via=resident.registered_via, quarantine_until=resident.quarantine_until,
        version=resident.version, care=care, revealed=tuple(shown),
        lives_elsewhere=resident.dwelling_id is not None,
    )


def read_resident(
    uow: UnitOfWork, rt: Runtime, principal: Principal, resident_id: int, *,
    purpose: str = "", reveal: tuple[str, ...] = (),
) -> ResidentView:
    if reveal and not purpose:
        raise InputError([Problem("purpose", "say why the unmasked value is needed")])
    resident = get_resident(uow.session, principal, resident_id, "community.resident.read")
    result = view(uow.session, rt, principal, resident, purpose=purpose, reveal=reveal)
    uow.commit()  # the audit row of the read
    return result


def list_residents(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, grid_code: str | None = None,
    limit: int = 500,
) -> list[ResidentView]:
    """Residents in the principal's places, or the principal's own household."""
    session = uow.session
    stmt = select(Resident).where(Resident.erased_at.is_(None))
    mine = own_resident(session, principal)
    scoped = scope_filter(Resident.scope, principal, "community.resident.read")
    if mine is not None:
        stmt = stmt.where(scoped | (Resident.household_id == mine.household_id))
    else:
        stmt = stmt.where(scoped)
    if grid_code:
        stmt = stmt.where(Resident.scope == grid_of(session, grid_code).path)
    rows = list(session.scalars(stmt.order_by(Resident.id).limit(min(limit, 5000))))
    views = [view(session, rt, principal, r, audit_read=False) for r in rows]
    audit.record(
        session, principal, kind=AuditKind.READ, action="community.resident.list",
        record_type="resident", record_id=f"{len(rows)} rows",
        detail={"ids": [r.id for r in rows][:1000], "grid": grid_code or ""},
    )
    uow.commit()
    return views


@dataclass(frozen=True)
class ResidentChanges:
    """Fields to change; ``None`` leaves a field as it is, ``clear_phone`` removes the phone."""

    name: str | None = None
    phone: str | None = None
    clear_phone: bool = False
    birth_year: int | None = None
    relation: Relation | None = None

    def names(self) -> list[str]:
        keys = ("name", "phone", "birth_year", "relation")
        out = [k for k in keys if getattr(self, k) is not None]
        return out + (["phone"] if self.clear_phone and "phone" not in out else [])


def update_resident(
    uow: UnitOfWork, rt: Runtime, principal: Principal, resident_id: int, *,
    expected_version: int, changes: ResidentChanges,
) -> ResidentView:
    """Change a resident if nobody else did since ``expected_version`` (412 otherwise)."""
    session = uow.session
    resident = get_resident(session, principal, resident_id, "community.resident.update")
    if resident.version != expected_version:
        raise StaleVersion(f"resident {resident_id}", resident.version)
    merged = NewResident(
        name=changes.name if changes.name is not None else resident.name,
        phone=changes.phone,
        birth_year=changes.birth_year if changes.birth_year is not None else resident.birth_year,
        relation=changes.relation or Relation(resident.relation),
    )
    problems = check_new_resident(merged)
    if problems:
        raise InputError(problems, source="resident")
    resident.name = merged.name.strip()
    resident.birth_year = merged.birth_year
    resident.relation = merged.relation.value
    if changes.phone is not None or changes.clear_phone:
        set_phone(rt, resident, changes.phone)
    resident.updated_at = rt.now()
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.resident.update",
        record_type="resident", record_id=resident.id, scope=resident.scope,
        detail={"fields": changes.names()},
    )
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise StaleVersion(f"resident {resident_id}", expected_version + 1) from None
    result = view(session, rt, principal, resident, audit_read=False)
    uow.commit()
    return result


def add_care_flag(
    uow: UnitOfWork, rt: Runtime, principal: Principal, resident_id: int, *, kind: CareKind,
    purpose: str, consent_by: ConsentBy,
) -> CareFlag:
    """Record a special-care flag; refused without a stated purpose and who consented."""
    session = uow.session
    resident = get_resident(session, principal, resident_id, "community.resident.care")
    if len(purpose.strip()) < 5:
        raise InputError([Problem("purpose", "say what the flag is for (at least 5 characters)")])
    flag = CareFlag(
        resident_id=resident.id, scope=resident.scope, kind=kind.value, purpose=purpose.strip(),
        consent_by=consent_by.value, consent_recorded_by=principal.user_id, consent_at=rt.now(),
    )
    session.add(flag)
    session.flush()
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.resident.care",
        record_type="care_flag", record_id=flag.id, scope=resident.scope, purpose=purpose,
        detail={"kind": kind.value, "consent_by": consent_by.value},
    )
    uow.commit()
    return flag


def withdraw_care_flag(uow: UnitOfWork, rt: Runtime, principal: Principal, flag_id: int) -> None:
    """Consent withdrawn: the flag stops counting now and is deleted by the next purge."""
    session = uow.session
    flag = session.get(CareFlag, flag_id)
    if flag is None or flag.withdrawn_at is not None:
        raise NotFound(f"no care flag {flag_id}")
    get_resident(session, principal, flag.resident_id, "community.resident.care")
    flag.withdrawn_at = rt.now()
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.resident.care_withdraw",
        record_type="care_flag", record_id=flag.id, scope=flag.scope,
    )
    uow.commit()


def set_quarantine(
    uow: UnitOfWork, rt: Runtime, principal: Principal, resident_id: int, *,
    until: datetime | None,
) -> Resident:
    """Home quarantine until ``until`` (None lifts it); gates alert if the person passes."""
    session = uow.session
    resident = session.get(Resident, resident_id)
    if resident is None or resident.erased_at is not None:
        raise NotFound(f"no resident {resident_id}")
    target = Target(scope=resident.scope)
    if not is_allowed(principal, "community.resident.quarantine", target) and not is_allowed(
        principal, "community.resident.read",
        resident_target(session, principal, resident, "community.resident.read"),
    ):
        raise NotFound(f"no resident {resident_id}")  # as if missing: no "who lives where"
    require(principal, "community.resident.quarantine", target)
    if until is not None and until <= rt.now():
        raise InputError([Problem("until", "must be in the future")])
    resident.quarantine_until = until
    resident.updated_at = rt.now()
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.resident.quarantine",
        record_type="resident", record_id=resident.id, scope=resident.scope,
        detail={"until": until.isoformat() if until else None},
    )
    uow.commit()
    return resident

