"""A new resident's row: the checks, and the one place where phone and national ID are
sealed (encrypted, with a keyed digest for lookups) before they reach the session. Every
registration path uses it: staff, family, self-registration, the office's bulk import.

May import: ``shared`` and this capability's ``domain`` and ``households``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.residents.domain import Channel, Relation, check_national_id
from rescity.community.shared.adapters import Dwelling, Household, Resident
from rescity.community.shared.domain import check_phone, normalise_phone
from rescity.community.shared.runtime import Runtime
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, Problem
from rescity.core.security.policy import Principal, Target, is_allowed


@dataclass(frozen=True)
class NewResident:
    name: str
    phone: str | None = None
    national_id: str | None = None
    birth_year: int | None = None
    relation: Relation = Relation.SELF


def check_new_resident(data: NewResident) -> list[Problem]:
    """Every problem with ``data``; ``where`` names the field (``name``, ``phone``, …)."""
    problems = []
    if not data.name.strip() or len(data.name) > 200:
        problems.append(Problem("name", "1–200 characters"))
    if data.phone:
        problems += check_phone(data.phone)
    if data.national_id:
        problems += check_national_id(data.national_id)
    if data.birth_year is not None and not 1900 <= data.birth_year <= 2100:
        problems.append(Problem("birth_year", "a year between 1900 and 2100"))
    return problems



def resident_row(
    rt: Runtime, household: Household, data: NewResident, *, channel: Channel,
    by: Principal | None, user_id: int | None = None, lives_at: Dwelling | None = None,
) -> Resident:
    """A new, unsaved resident with its identifiers sealed (the one place that seals them).

    ``data`` must have passed :func:`check_new_resident`. ``lives_at`` is a dwelling other
    than the household's where the member actually lives (a parent in another grid): the
    record's scope is then that dwelling's, so the grid worker there looks after them.
    """
    scope = lives_at.scope if lives_at is not None else household.scope
    resident = Resident(
        household_id=household.id, scope=scope, user_id=user_id,
        dwelling_id=lives_at.id if lives_at is not None else None,
        name=data.name.strip(), birth_year=data.birth_year, relation=data.relation.value,
        registered_via=channel.value, registered_by=by.user_id if by else None,
        created_at=rt.now(), updated_at=rt.now(),
    )
    if data.phone:
        set_phone(rt, resident, data.phone)
    if data.national_id:
        nid = data.national_id.strip().upper()
        context = rt.fields.get("resident", "national_id").context
        resident.national_id_sealed = rt.cipher.seal(nid, context=context)
        resident.national_id_digest = rt.cipher.lookup_digest(nid, context=context)
    return resident


def national_id_digests(rt: Runtime, national_id: str) -> list[str]:
    """The blind indexes under which a national ID is looked up (never the value itself):
    one per configured data key, so a key rotation under way still finds every row."""
    context = rt.fields.get("resident", "national_id").context
    return rt.cipher.lookup_digests(national_id.strip().upper(), context=context)


def note_duplicates_elsewhere(
    session: Session, by: Principal | None, ids: list[int], scope: str
) -> None:
    """A national ID also held by residents the registering person may not read: stored
    anyway, and left in the audit log for the city to reconcile."""
    if ids:
        audit.record(session, by, kind=AuditKind.WRITE,
                     action="community.resident.duplicate_national_id",
                     record_type="resident", record_id=",".join(map(str, ids)), scope=scope)


def build_resident(
    session: Session, rt: Runtime, household: Household, data: NewResident, *,
    channel: Channel, by: Principal | None, user_id: int | None = None,
    lives_at: Dwelling | None = None,
) -> Resident:
    """Check, seal and add a resident; raises InputError with every problem, or Conflict."""
    problems = check_new_resident(data)
    if problems:
        raise InputError(problems, source="resident")
    resident = resident_row(rt, household, data, channel=channel, by=by, user_id=user_id,
                            lives_at=lives_at)
    if data.national_id:
        # Only a record the registering person may read answers "already registered":
        # anything else would tell anyone whether a person lives somewhere in the city.
        elsewhere = []
        for taken_id, taken_scope in session.execute(
            select(Resident.id, Resident.scope).where(
                Resident.national_id_digest.in_(national_id_digests(rt, data.national_id)),
                Resident.erased_at.is_(None),
            )
        ):
            if is_allowed(by, "community.resident.read", Target(scope=taken_scope)):
                raise Conflict("a resident with this national ID is already registered")
            elsewhere.append(taken_id)
        note_duplicates_elsewhere(session, by, elsewhere, household.scope)
    session.add(resident)
    session.flush()
    return resident


def set_phone(rt: Runtime, resident: Resident, phone: str | None) -> None:
    policy = rt.fields.get("resident", "phone")
    if not phone:
        resident.phone_sealed = resident.phone_digest = None
        return
    value = normalise_phone(phone)
    resident.phone_sealed = rt.cipher.seal(value, context=policy.context)
    resident.phone_digest = rt.cipher.lookup_digest(value, context=policy.context)
