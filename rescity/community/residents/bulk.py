"""Bulk registration from the office's sheet: households and members, all or nothing.

Every row is checked before anything is written (row and column named in each problem); one
bad row and nothing is stored. Identifiers are sealed by
:func:`rescity.community.residents.records.resident_row`, the code every other
registration path uses. The import is audited with the importer, the file's SHA-256 and
the counts, never a personal value.

Who is the same person (a duplicate, refused):

* the same national ID, compared by its blind index (the keyed digest stored beside the
  sealed value), within the file and against stored residents the importer may read; one the
  importer may not read is stored anyway and noted in the audit log for the city, as on the
  other registration paths (telling the importer would reveal where someone lives);
* otherwise the same name (Unicode-normalised, case and spaces ignored), birth year and
  dwelling (grid, building, unit, room), within the file and against current residents.

A household key groups the rows of one household; all its rows name the same dwelling. A
dwelling that already holds exactly one household is joined (the office adds members to a
known family); otherwise each key makes a new household.

May import: ``shared`` and this capability's modules.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from rescity.community.residents.domain import Channel, Relation
from rescity.community.residents.records import (
    NewResident,
    check_new_resident,
    national_id_digests,
    note_duplicates_elsewhere,
    resident_row,
)
from rescity.community.residents.sheet import Cell, SheetRow, read_sheet
from rescity.community.shared.adapters import Dwelling, Household, Resident, home_dwelling_id
from rescity.community.shared.runtime import Runtime
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, Problem
from rescity.core.places import Place, PlaceLevel, get_place
from rescity.core.security.policy import Principal, Target, is_allowed, require
from rescity.core.storage.uow import UnitOfWork

RELATIONS = {r.value: r for r in Relation} | {
    "本人": Relation.SELF, "户主": Relation.SELF, "配偶": Relation.SPOUSE, "子女": Relation.CHILD,
    "子": Relation.CHILD, "女": Relation.CHILD, "父母": Relation.PARENT, "父亲": Relation.PARENT,
    "母亲": Relation.PARENT, "祖父母": Relation.GRANDPARENT, "外祖父母": Relation.GRANDPARENT,
    "其他": Relation.OTHER,
}
_FIELD_COLUMN = {"birth_year": "birth"}  # a service problem's field → the sheet's column
_DATE = re.compile(r"^(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?)?$")
CHUNK = 500

Progress = Callable[[int, int], None]
Address = tuple[str, str, str, str]  # grid code, building, unit, room


@dataclass(frozen=True)
class ImportRow:
    number: int
    household: str
    address: Address
    data: NewResident


@dataclass
class ImportReport:
    filename: str
    format: str
    encoding: str
    sha256: str
    place: str
    scope: str  # the place's path
    dry_run: bool
    rows: list[ImportRow] = field(default_factory=list)
    households: int = 0  # distinct household keys
    households_joined: int = 0  # of those, existing households the rows join
    dwellings_new: int = 0
    duplicates_elsewhere: int = 0

    @property
    def residents(self) -> int:
        return len(self.rows)


def person_key(name: str, birth_year: int | None, address: Address) -> tuple[object, ...]:
    """Who counts as the same person when no national ID is given."""
    folded = "".join(unicodedata.normalize("NFKC", name).casefold().split())
    return (folded, birth_year, *address)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _birth_year(value: Cell, today: date) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        year = value.year
    elif isinstance(value, int | float) and float(value).is_integer():
        year = int(value)
    else:
        match = _DATE.match(_text(value))
        if not match:
            raise ValueError("a year (1950) or a date (1950-03-07)")
        year = int(match.group(1))
        if match.group(2):
            try:
                date(year, int(match.group(2)), int(match.group(3) or 1))
            except ValueError:
                raise ValueError(f"'{_text(value)}' is not a date") from None
    if not 1900 <= year <= today.year:
        raise ValueError(f"a year between 1900 and {today.year}")
    return year


def _parse(row: SheetRow, today: date, problems: list[Problem]) -> ImportRow | None:
    v = row.values
    where = f"row {row.number}"
    found: list[Problem] = []
    for column, value in v.items():
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL cannot store it
            found.append(Problem(f"{where}, {column}", "contains a NUL character"))
    if found:
        problems.extend(found)
        return None
    for column in ("household", "grid", "building", "room", "name", "relation"):
        if not _text(v.get(column)):
            found.append(Problem(f"{where}, {column}", "required"))
    relation = RELATIONS.get(_text(v.get("relation")).lower())
    if _text(v.get("relation")) and relation is None:
        found.append(Problem(f"{where}, relation", f"unknown relation '{_text(v.get('relation'))}'"
                             f"; one of {', '.join(r.value for r in Relation)}"))
    try:
        birth = _birth_year(v.get("birth"), today)
    except ValueError as exc:
        found.append(Problem(f"{where}, birth", str(exc)))
        birth = None
    national_id = v.get("national_id")
    if isinstance(national_id, int | float):
        found.append(Problem(f"{where}, national_id", "stored as a number, which Excel rounds; "
                             "format the column as text"))
        national_id = None
    lengths = {"household": 64, "building": 40, "unit": 20, "room": 20}
    for column, limit in lengths.items():
        if len(_text(v.get(column))) > limit:
            found.append(Problem(f"{where}, {column}", f"at most {limit} characters"))
    data = NewResident(
        name=_text(v.get("name")), phone=_text(v.get("phone")) or None,
        national_id=_text(national_id) or None, birth_year=birth,
        relation=relation or Relation.OTHER,
    )
    for p in check_new_resident(data):
        column = _FIELD_COLUMN.get(p.where, p.where)
        if column == "name" and not data.name:
            continue  # already "required"
        found.append(Problem(f"{where}, {column}", p.message))
    problems.extend(found)
    if found:
        return None
    address = (_text(v.get("grid")), _text(v.get("building")), _text(v.get("unit")),
               _text(v.get("room")))
    return ImportRow(row.number, _text(v.get("household")), address, data)


def _check_rows(
    rows: list[ImportRow], grids: dict[str, Place], place: Place, outside: set[str],
    problems: list[Problem],
) -> None:
    """Grids under the place, one dwelling and one 'self' per household, no duplicate."""
    home: dict[str, tuple[int, Address]] = {}
    heads: dict[str, int] = {}
    seen_person: dict[tuple[object, ...], int] = {}
    seen_id: dict[str, int] = {}
    for r in rows:
        where = f"row {r.number}"
        grid = r.address[0]
        if grid not in grids:
            why = (f"grid '{grid}' is not under place '{place.code}'" if grid in outside
                   else f"no grid '{grid}' under place '{place.code}'")
            problems.append(Problem(f"{where}, grid", why))
        first = home.setdefault(r.household, (r.number, r.address))
        if first[1] != r.address:
            problems.append(Problem(f"{where}, household", f"household '{r.household}' is at "
                                    f"{'/'.join(first[1])} in row {first[0]}"))
        if r.data.relation == Relation.SELF:
            head = heads.setdefault(r.household, r.number)
            if head != r.number:
                problems.append(Problem(f"{where}, relation", f"household '{r.household}' "
                                        f"already has its 'self' in row {head}"))
        if r.data.national_id:
            nid = r.data.national_id.strip().upper()
            other = seen_id.setdefault(nid, r.number)
            if other != r.number:
                problems.append(Problem(f"{where}, national_id",
                                        f"same national ID as row {other}"))
                continue
        key = person_key(r.data.name, r.data.birth_year, r.address)
        other = seen_person.setdefault(key, r.number)
        if other != r.number:
            problems.append(Problem(f"{where}, name", f"same name, birth year and dwelling as "
                                    f"row {other}"))


def import_residents(
    uow: UnitOfWork, rt: Runtime, principal: Principal, *, data: bytes, filename: str,
    place_code: str, dry_run: bool = False, progress: Progress | None = None,
) -> ImportReport:
    """Check the whole sheet, then (unless ``dry_run``) store it in one transaction.

    Raises InputError listing every problem (row and column named); nothing is written then.
    """
    session = uow.session
    try:
        place = get_place(session, place_code)
    except NotFound as exc:
        raise InputError([Problem("place", str(exc))]) from None
    require(principal, "community.resident.create", Target(scope=place.path))
    sheet = read_sheet(data, filename)
    report = ImportReport(filename, sheet.format, sheet.encoding, hashlib.sha256(data).hexdigest(),
                          place.code, place.path, dry_run)
    if not sheet.rows:
        raise InputError([Problem(filename, "no resident rows below the header")])
    problems: list[Problem] = []
    today = rt.now().date()
    report.rows = [r for row in sheet.rows if (r := _parse(row, today, problems)) is not None]
    grids = {p.code: p for p in session.scalars(select(Place).where(
        Place.path.startswith(place.path, autoescape=True), Place.level == PlaceLevel.GRID.value))}
    named = {r.address[0] for r in report.rows} - set(grids)
    outside = (set(session.scalars(select(Place.code).where(Place.code.in_(named))))
               if named else set())
    _check_rows(report.rows, grids, place, outside, problems)
    if not problems:
        elsewhere = _check_stored(uow, rt, principal, report.rows, grids, problems)
        report.duplicates_elsewhere = len(elsewhere)
    if problems:
        raise InputError(problems, source=filename)
    report.households = len({r.household for r in report.rows})
    if dry_run:
        _count_joins(uow, report, grids)
        return report
    _store(uow, rt, principal, report, grids, elsewhere, progress)
    return report


def _dwellings(uow: UnitOfWork, grids: dict[str, Place]) -> dict[Address, Dwelling]:
    code_of = {g.id: code for code, g in grids.items()}
    found = uow.session.scalars(select(Dwelling).where(Dwelling.grid_id.in_(list(code_of))))
    return {(code_of[d.grid_id], d.building, d.unit, d.room): d for d in found}


def _single_households(uow: UnitOfWork, dwelling_ids: list[int]) -> dict[int, int]:
    """Dwelling id → its household id, for dwellings holding exactly one household."""
    out: dict[int, int] = {}
    for start in range(0, len(dwelling_ids), CHUNK):
        part = dwelling_ids[start:start + CHUNK]
        for dwelling_id, n, household_id in uow.session.execute(
            select(Household.dwelling_id, func.count(), func.max(Household.id))
            .where(Household.dwelling_id.in_(part)).group_by(Household.dwelling_id)
        ):
            if n == 1:
                out[dwelling_id] = household_id
    return out


def _count_joins(uow: UnitOfWork, report: ImportReport, grids: dict[str, Place]) -> None:
    existing = _dwellings(uow, grids)
    addresses = {r.household: r.address for r in report.rows}
    single = _single_households(uow, [d.id for d in existing.values()])
    report.dwellings_new = len(set(addresses.values()) - set(existing))
    report.households_joined = sum(
        1 for a in addresses.values() if a in existing and existing[a].id in single
    )


def _check_stored(
    uow: UnitOfWork, rt: Runtime, principal: Principal, rows: list[ImportRow],
    grids: dict[str, Place], problems: list[Problem],
) -> list[int]:
    """Duplicates of stored residents; returns the ids of those the importer may not read."""
    session = uow.session
    digests = {d: r for r in rows if r.data.national_id
               for d in national_id_digests(rt, r.data.national_id)}
    elsewhere: list[int] = []
    reported: set[int] = set()  # rows found by their ID: one problem per row
    keys = list(digests)
    for start in range(0, len(keys), CHUNK):
        for rid, scope, digest in session.execute(
            select(Resident.id, Resident.scope, Resident.national_id_digest).where(
                Resident.national_id_digest.in_(keys[start:start + CHUNK]),
                Resident.erased_at.is_(None))
        ):
            if is_allowed(principal, "community.resident.read", Target(scope=scope)):
                reported.add(digests[str(digest)].number)
                problems.append(Problem(f"row {digests[str(digest)].number}, national_id",
                                        f"already registered (resident {rid})"))
            else:
                elsewhere.append(rid)
    wanted = {person_key(r.data.name, r.data.birth_year, r.address): r for r in rows}
    code_of = {g.id: code for code, g in grids.items()}
    lives = home_dwelling_id()
    stored = session.execute(
        select(Resident.id, Resident.name, Resident.birth_year, Dwelling.grid_id,
               Dwelling.building, Dwelling.unit, Dwelling.room)
        .join(Household, Household.id == Resident.household_id)
        .join(Dwelling, Dwelling.id == lives)
        .where(Dwelling.grid_id.in_(list(code_of)), Resident.erased_at.is_(None),
               Resident.left_at.is_(None))
    )
    for rid, name, birth, grid_id, building, unit, room in stored:
        row = wanted.get(person_key(name, birth, (code_of[grid_id], building, unit, room)))
        if row is not None and row.number not in reported:
            problems.append(Problem(f"row {row.number}, name", f"already registered at this "
                                    f"dwelling with this birth year (resident {rid})"))
    problems.sort(key=lambda p: int(p.where.split(",")[0].split()[1]))
    return elsewhere


def _store(
    uow: UnitOfWork, rt: Runtime, principal: Principal, report: ImportReport,
    grids: dict[str, Place], elsewhere: list[int], progress: Progress | None,
) -> None:
    session = uow.session
    dwellings = _dwellings(uow, grids)
    single = _single_households(uow, [d.id for d in dwellings.values()])
    new_dwellings = []
    for address in dict.fromkeys(r.address for r in report.rows):
        if address not in dwellings:
            grid = grids[address[0]]
            dwellings[address] = Dwelling(grid_id=grid.id, scope=grid.path, building=address[1],
                                          unit=address[2], room=address[3])
            new_dwellings.append(dwellings[address])
    session.add_all(new_dwellings)
    session.flush()
    households: dict[str, Household] = {}
    joined = set()
    for r in report.rows:
        if r.household in households:
            continue
        dwelling = dwellings[r.address]
        if dwelling.id in single and single[dwelling.id] not in joined:
            household = session.get_one(Household, single[dwelling.id])
            joined.add(household.id)
        else:
            household = Household(dwelling_id=dwelling.id, scope=dwelling.scope)
            session.add(household)
        households[r.household] = household
    session.flush()
    report.dwellings_new, report.households_joined = len(new_dwellings), len(joined)
    total = len(report.rows)
    for start in range(0, total, CHUNK):
        session.add_all([
            resident_row(rt, households[r.household], r.data, channel=Channel.GRID_WORKER,
                         by=principal)
            for r in report.rows[start:start + CHUNK]
        ])
        session.flush()
        if progress is not None:
            progress(min(start + CHUNK, total), total)
    note_duplicates_elsewhere(session, principal, elsewhere, report.scope)
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.resident.import",
        record_type="import", record_id=report.sha256[:16], scope=report.scope,
        detail={"file_sha256": report.sha256, "format": report.format,
                "encoding": report.encoding, "residents": total,
                "households": report.households, "households_joined": len(joined),
                "dwellings_new": len(new_dwellings),
                "duplicates_elsewhere": len(elsewhere)},
    )
    uow.commit()

