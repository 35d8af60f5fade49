"""What an alert row needs so a grid worker can act on it without searching: what the alert
is about (a resident, a work order, a help request, a sensor), a link to it, and for a
resident the dwelling and a telephone number to call.

Personal data follows the field policies: the name for those who may read the resident or
their health data (as the alert list already does), the dwelling, the telephone number and
the link to the resident's page only for those who may read the register; the number
unmasked (and so a ``tel:`` link) only for those holding its reveal action, masked otherwise.
The read is one audit row per page (which residents, which of them with the number shown).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from rescity.community.alerts.services import AlertView
from rescity.community.shared.adapters import Dwelling, Household, Resident
from rescity.community.shared.runtime import Runtime
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.places import Place
from rescity.core.security.personal_data import mask
from rescity.core.security.policy import Principal, Target, is_allowed
from rescity.core.storage.uow import UnitOfWork

# What an alert can be about (the c.subject.* messages).
SUBJECT_KINDS = ("resident", "case", "help_request", "device")
# Why the number is shown unmasked: one of resident.phone's reveal_purposes.
PURPOSE = "emergency"


@dataclass(frozen=True)
class Subject:
    """What one alert is about, as this principal may see it (all optional)."""

    kind: str  # resident | case | help_request | device | "" (the c.subject.* message)
    ref: str  # the record's id or the device's code
    href: str | None = None
    name: str | None = None
    address: str | None = None
    phone: str | None = None  # masked unless revealed
    tel: str | None = None  # only when revealed: the number for a tel: link
    device: str | None = None  # the sensor that raised it


def _readable(principal: Principal, scope: str) -> bool:
    target = Target(scope=scope)
    return is_allowed(principal, "community.resident.read", target) or is_allowed(
        principal, "community.health.read", target
    )


def _ref_id(source_ref: str, prefix: str) -> int | None:
    head, _, tail = source_ref.partition(":")
    return int(tail) if head == prefix and tail.isdigit() else None


def subjects(
    uow: UnitOfWork, rt: Runtime, principal: Principal, rows: list[AlertView], *,
    lang: str = "zh",
) -> dict[int, Subject]:
    """Alert id → :class:`Subject` for ``rows``; records the personal-data read (and commits
    it) when a resident's dwelling or number was shown."""
    session = uow.session
    wanted = {a.subject_id for a in rows
              if a.subject_type == "resident" and a.subject_id and _readable(principal, a.scope)}
    people: dict[int, tuple[Resident, Dwelling | None, Place | None]] = {}
    if wanted:
        rows_found = session.execute(
            select(Resident, Dwelling, Place)
            .join(Household, Household.id == Resident.household_id)
            .outerjoin(Dwelling, Dwelling.id == Household.dwelling_id)
            .outerjoin(Place, Place.id == Dwelling.grid_id)
            .where(Resident.id.in_(wanted), Resident.erased_at.is_(None))
        )
        people = {r.id: (r, d, p) for r, d, p in rows_found}
    found: dict[int, Subject] = {}
    revealed: list[int] = []
    phone_policy = rt.fields.get("resident", "phone")
    for a in rows:
        device = a.source_ref.partition(":")[2] if a.source == "sensor" else None
        if a.subject_type == "resident" and a.subject_id:
            person = people.get(a.subject_id)
            if person is None:
                found[a.id] = Subject("resident", str(a.subject_id), device=device)
                continue
            resident, dwelling, grid = person
            register = is_allowed(principal, "community.resident.read",
                                  Target(scope=resident.scope))
            if not register:  # a health officer: the name with the health data, no more
                found[a.id] = Subject("resident", str(resident.id), name=resident.name,
                                      device=device)
                continue
            phone = tel = None
            if resident.phone_sealed:
                plain = rt.cipher.open(resident.phone_sealed, context=phone_policy.context)
                allowed = is_allowed(principal, phone_policy.reveal_action,
                                     Target(scope=resident.scope))
                if rt.fields.may_reveal("resident", "phone", allowed=allowed, purpose=PURPOSE):
                    phone = tel = plain
                    revealed.append(resident.id)
                else:
                    phone = mask(plain)
            address = " ".join(x for x in (grid.name(lang) if grid else "",
                                           dwelling.label if dwelling else "") if x)
            found[a.id] = Subject(
                "resident", str(resident.id), href=f"/community/residents/{resident.id}",
                name=resident.name, address=address or None, phone=phone, tel=tel,
                device=device,
            )
        elif (case_id := _ref_id(a.source_ref, "case")) is not None or a.subject_type == "case":
            ref = a.subject_id if a.subject_type == "case" and a.subject_id else case_id
            found[a.id] = Subject("case", str(ref), href=f"/community/cases/{ref}")
        elif a.subject_type == "help_request" and a.subject_id:
            found[a.id] = Subject("help_request", str(a.subject_id),
                                      href=f"/community/help#help-{a.subject_id}")
        elif device:
            found[a.id] = Subject("device", device, href=f"/community/sensors#device-{device}",
                                      device=device)
        else:
            found[a.id] = Subject("", "")
    shown = sorted({s.ref for s in found.values() if s.kind == "resident" and s.href})
    if shown:
        audit.record(
            session, principal, kind=AuditKind.READ, action="community.alert.subjects",
            record_type="resident", record_id=f"{len(shown)} residents", purpose=PURPOSE,
            detail={"ids": [int(i) for i in shown][:1000], "fields": ["name", "dwelling", "phone"],
                    "revealed_phone": sorted(set(revealed))[:1000]},
        )
        uow.commit()
    return found
