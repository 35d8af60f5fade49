"""The register back to the office as XLSX, in the columns the import reads.

Only for those who may read residents of the place; phone and national ID are written in
the clear only where the reader's role may reveal them (``community.resident.reveal`` and
``…reveal_id``), otherwise left empty. The export is a read of personal data: one audit row
names the reader, the place, the residents and which identifiers were revealed. Cells are
neutralised against formula injection (:func:`sheet.neutralise`).

May import: ``shared`` and this capability's modules.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from rescity.community.residents.sheet import write_xlsx
from rescity.community.shared.adapters import Dwelling, Household, Resident, home_dwelling_id
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.scoping import scope_filter
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.places import Place, get_place
from rescity.core.security.policy import Principal, Target, is_allowed, require
from rescity.core.storage.uow import UnitOfWork

PURPOSE = "office register"
# The purposes an office register serves, as personal_fields.toml names them per field.
_REVEAL_PURPOSE = {"phone": "contact", "national_id": "identity_check"}


@dataclass(frozen=True)
class Exported:
    content: bytes
    residents: int
    revealed: tuple[str, ...]


def export_residents(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, place_code: str
) -> Exported:
    """The current residents living under ``place_code`` as an XLSX workbook."""
    session = uow.session
    try:
        place = get_place(session, place_code)
    except NotFound as exc:
        raise InputError([Problem("place", str(exc))]) from None
    require(principal, "community.resident.read", Target(scope=place.path))
    lives = home_dwelling_id()
    rows = session.execute(
        select(Resident, Household.id, Place.code, Dwelling.building, Dwelling.unit,
               Dwelling.room)
        .join(Household, Household.id == Resident.household_id)
        .join(Dwelling, Dwelling.id == lives)
        .join(Place, Place.id == Dwelling.grid_id)
        .where(Resident.scope.startswith(place.path, autoescape=True),
               scope_filter(Resident.scope, principal, "community.resident.read"),
               Resident.erased_at.is_(None), Resident.left_at.is_(None))
        .order_by(Household.id, Resident.id)
    ).all()
    revealed: set[str] = set()
    out = []
    for resident, household_id, grid, building, unit, room in rows:
        values = {}
        for name, purpose in _REVEAL_PURPOSE.items():
            sealed = getattr(resident, f"{name}_sealed")
            policy = rt.fields.get("resident", name)
            allowed = is_allowed(principal, policy.reveal_action, Target(scope=resident.scope))
            if sealed is not None and rt.fields.may_reveal("resident", name, allowed=allowed,
                                                           purpose=purpose):
                values[name] = rt.cipher.open(sealed, context=policy.context)
                revealed.add(name)
            else:
                values[name] = ""
        out.append((f"H{household_id}", grid, building, unit, room, resident.name,
                    resident.relation, resident.birth_year or "", values["phone"],
                    values["national_id"]))
    audit.record(
        session, principal, kind=AuditKind.READ, action="community.resident.export",
        record_type="resident", record_id=f"{len(out)} rows", scope=place.path,
        purpose=PURPOSE,
        detail={"place": place.code, "revealed": sorted(revealed),
                "ids": [r[0].id for r in rows][:5000]},
    )
    uow.commit()
    return Exported(write_xlsx(out), len(out), tuple(sorted(revealed)))
