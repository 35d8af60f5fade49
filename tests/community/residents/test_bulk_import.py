"""Bulk registration from an office's sheet: all or nothing, row and column named in every
problem, duplicates found, identifiers sealed, the import audited; the export back to XLSX.
Both backends (the ``world`` fixture runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from rescity.community.residents.bulk import import_residents
from rescity.community.residents.bulk_export import export_residents
from rescity.community.residents.sheet import HEADERS, MAX_BYTES, read_sheet
from rescity.community.shared.adapters import Household, Resident
from rescity.core.accounts import get_user, principal_of
from rescity.core.audit import AuditEntry
from rescity.core.errors import InputError, PermissionDenied
from rescity.core.places import get_place
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from tests.community.conftest import ALICE_ID, World, national_id
from tests.community.residents.bulk_sheets import csv_bytes, office_rows, xlsx


def _principal(w: World, username: str) -> Principal:
    with UnitOfWork(w.factory) as uow:
        return principal_of(get_user(uow.session, username))


def _import(w: World, data: bytes, *, who: str = "admin", place: str = "a",
            filename: str = "register.xlsx", dry_run: bool = False) -> Any:
    with UnitOfWork(w.factory) as uow:
        return import_residents(uow, w.runtime, _principal(w, who), data=data, filename=filename,
                                place_code=place, dry_run=dry_run)


def _problems(w: World, data: bytes, **kw: Any) -> list[str]:
    with pytest.raises(InputError) as caught:
        _import(w, data, **kw)
    return [str(p) for p in caught.value.problems]


def world_place_path(w: World, code: str) -> str:
    with UnitOfWork(w.factory) as uow:
        return get_place(uow.session, code).path


def _count(w: World) -> int:
    with UnitOfWork(w.factory) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Resident)) or 0)


def _audits(w: World, action: str) -> list[AuditEntry]:
    with UnitOfWork(w.factory) as uow:
        rows = list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        uow.session.expunge_all()
        return rows


def test_a_generated_xlsx_of_200_residents_imports_with_identifiers_sealed(world: World) -> None:
    rows = office_rows(200)
    data = xlsx(rows)
    before = _count(world)
    report = _import(world, data)
    assert (report.residents, report.format, report.encoding) == (200, "xlsx", "")
    assert report.households == len({r[0] for r in rows}) and report.dwellings_new > 0
    assert _count(world) == before + 200
    with world.engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text(
            "SELECT phone_sealed, phone_digest, national_id_sealed, national_id_digest "
            "FROM community_resident")) for v in row)
    for row in rows[:50]:
        assert str(row[8]) not in dump and str(row[9]) not in dump
    with UnitOfWork(world.factory) as uow:
        stored = uow.session.scalars(select(Resident).where(Resident.name == rows[7][5])).one()
        policy = world.runtime.fields.get("resident", "phone")
        assert world.runtime.cipher.open(stored.phone_sealed or "", context=policy.context) \
            == rows[7][8]
        assert stored.birth_year == int(str(rows[7][7])) and stored.relation == rows[7][6]
        assert stored.registered_via == "grid_worker"
        # One household per key, members together.
        h0 = {r.household_id for r in uow.session.scalars(
            select(Resident).where(Resident.name.in_([r[5] for r in rows if r[0] == "H0003"])))}
        assert len(h0) == 1
    [entry] = _audits(world, "community.resident.import")
    assert entry.actor == "admin" and entry.scope == world_place_path(world, "a")
    detail = entry.detail
    assert detail["residents"] == 200 and detail["format"] == "xlsx"
    assert detail["file_sha256"] == hashlib.sha256(data).hexdigest()
    flat = str(detail)
    assert rows[0][5] not in flat and str(rows[0][8]) not in flat and str(rows[0][9]) not in flat


def test_bad_rows_write_nothing_and_every_problem_names_row_and_column(world: World) -> None:
    rows = office_rows(12)
    rows[1][7] = "1990-02-30"          # row 3: not a date
    rows[2][5] = ""                    # row 4: name missing
    rows[3][6] = "cousin"              # row 5: unknown relation
    rows[4][8] = "call me"             # row 6: phone
    rows[5][1] = "b1"                  # row 7: a grid of another community
    rows[6][9] = rows[6][9][:-1] + ("0" if rows[6][9][-1] != "0" else "1")  # row 8: check digit
    rows[7][1] = "zz"                  # row 9: no such grid
    rows[8][7] = "1850"                # row 10: too old
    before = _count(world)
    problems = _problems(world, xlsx(rows))
    assert "row 3, birth: '1990-02-30' is not a date" in problems
    assert "row 4, name: required" in problems
    assert any(p.startswith("row 5, relation: unknown relation 'cousin'") for p in problems)
    assert any(p.startswith("row 6, phone:") for p in problems)
    assert "row 7, grid: grid 'b1' is not under place 'a'" in problems
    assert "row 8, national_id: check digit does not match" in problems
    assert "row 9, grid: no grid 'zz' under place 'a'" in problems
    assert any(p.startswith("row 10, birth: a year between 1900") for p in problems)
    assert _count(world) == before
    assert _audits(world, "community.resident.import") == []


def test_a_nul_character_in_a_csv_cell_is_a_problem_not_a_server_error(world: World) -> None:
    rows = office_rows(3)
    rows[1][2] = "1\x002"
    assert _problems(world, csv_bytes(rows, "utf-8"), filename="r.csv") == [
        "row 3, building: contains a NUL character"]


def test_a_household_key_at_two_dwellings_and_two_heads_are_refused(world: World) -> None:
    rows = office_rows(4)  # H0000 (1 person), H0001 (2), H0002 (1)
    rows[2][4] = "999"     # second member of H0001 at another room
    rows.append(["H0000", "a1", rows[0][2], "1", rows[0][4], "Second Head", "self", "1970",
                 "", ""])
    problems = _problems(world, xlsx(rows))
    assert any(p.startswith("row 4, household: household 'H0001' is at a2/") and "row 3" in p
               for p in problems)
    assert "row 6, relation: household 'H0000' already has its 'self' in row 2" in problems


def test_duplicates_in_the_file_and_against_stored_residents(world: World) -> None:
    rows = office_rows(6)
    rows.append(list(rows[0]))                      # row 8: same person again (same ID)
    rows.append(list(rows[1]))                      # row 9: same name/birth/dwelling, no ID
    rows[-1][9] = ""
    rows[1][9] = ""
    problems = _problems(world, xlsx(rows))
    assert "row 8, national_id: same national ID as row 2" in problems
    assert "row 9, name: same name, birth year and dwelling as row 3" in problems
    stored = [
        ["X1", "a1", "1", "2", "101", "Someone", "self", "1990", "", ALICE_ID],  # alice's ID
        ["X2", "a1", "1", "2", "102", "  carol   TEST ", "spouse", "1985", "", ""],  # carol
    ]
    problems = _problems(world, xlsx(stored), who="grid_a1", place="a1")
    assert any(p.startswith("row 2, national_id: already registered (resident ")
               for p in problems)
    assert any(p.startswith("row 3, name: already registered at this dwelling") for p in problems)
    # The same file imported twice: the second time everything is a duplicate.
    clean = xlsx(office_rows(5))
    _import(world, clean)
    again = _problems(world, clean)
    assert len(again) == 5 and all("already registered" in p for p in again)


def test_a_national_id_held_where_the_importer_cannot_read_is_stored_and_audited(
    world: World,
) -> None:
    # grid_b1 cannot read alice (grid a1): the answer must not say she is registered.
    rows = [["X", "b1", "9", "", "902", "Alice Elsewhere", "self", "1990", "", ALICE_ID]]
    report = _import(world, xlsx(rows), who="grid_b1", place="b1")
    assert report.duplicates_elsewhere == 1
    [noted] = _audits(world, "community.resident.duplicate_national_id")
    assert noted.record_id == str(world.ids["alice"])


def test_a_dry_run_writes_nothing(world: World) -> None:
    before = _count(world)
    with UnitOfWork(world.factory) as uow:
        households = uow.session.scalar(select(func.count()).select_from(Household))
    report = _import(world, xlsx(office_rows(30)), dry_run=True)
    assert report.dry_run and report.residents == 30
    assert _count(world) == before and _audits(world, "community.resident.import") == []
    with UnitOfWork(world.factory) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Household)) == households


def test_a_grid_worker_imports_only_into_their_grid(world: World) -> None:
    with pytest.raises(PermissionDenied):
        _import(world, xlsx(office_rows(3, grids=("a1",))), who="grid_a1", place="a")
    with pytest.raises(PermissionDenied):
        _import(world, xlsx(office_rows(3, grids=("a1",))), who="alice", place="a1")
    report = _import(world, xlsx(office_rows(3, grids=("a1",))), who="grid_a1", place="a1")
    assert report.residents == 3


def test_a_new_member_joins_the_one_household_already_at_a_dwelling(world: World) -> None:
    rows = [["K", "a1", "1", "2", "102", "Carol's Son", "child", "2012-05-01", "", ""]]
    report = _import(world, xlsx(rows), who="grid_a1", place="a1")
    assert report.households_joined == 1 and report.dwellings_new == 0
    with UnitOfWork(world.factory) as uow:
        son = uow.session.scalars(select(Resident).where(Resident.name == "Carol's Son")).one()
        assert son.household_id == world.ids["h2"] and son.birth_year == 2012


@pytest.mark.parametrize(("encoding", "label"), [
    ("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 with BOM"), ("gb18030", "GB18030"),
])
def test_csv_in_the_encodings_offices_save_is_read_and_named(
    world: World, encoding: str, label: str,
) -> None:
    headers = ["户号", "网格", "楼栋", "单元", "房号", "姓名", "与户主关系", "出生", "电话",
               "身份证号"]
    rows = [["甲1", "a2", "5", "1", "501", "张三丰", "本人", "1961/4/9", "13900001111",
             national_id("11010119610409123")],
            ["甲1", "a2", "5", "1", "501", "李秀英", "配偶", "1963", "", ""]]
    report = _import(world, csv_bytes(rows, encoding, headers), filename="名册.csv")
    assert (report.format, report.encoding, report.residents) == ("csv", label, 2)
    with UnitOfWork(world.factory) as uow:
        zhang = uow.session.scalars(select(Resident).where(Resident.name == "张三丰")).one()
        assert (zhang.relation, zhang.birth_year) == ("self", 1961)


def test_malformed_files_get_a_clear_error(world: World) -> None:
    assert _problems(world, b"this is not excel at all", filename="r.xlsx") == [
        "r.xlsx: not an XLSX workbook (not a zip archive); save it from Excel as .xlsx or as CSV"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "a zip, but no workbook")
    [broken] = _problems(world, buf.getvalue(), filename="r.xlsx")
    assert broken.startswith("r.xlsx: not a readable XLSX workbook")
    wrong = _problems(world, xlsx([["H", "a1"]], headers=["household", "gird", "name"]))
    assert "row 1, column 2: unknown column 'gird'; known: " + ", ".join(HEADERS) in wrong
    assert "row 1: missing column 'grid' (网格)" in wrong
    assert "row 1: missing column 'relation' (与户主关系)" in wrong
    assert _problems(world, (",".join(HEADERS) + "\r\n,,\r\n").encode(), filename="r.csv") == [
        "r.csv: no resident rows below the header"]
    huge = b"x" * (MAX_BYTES + 1)
    [big] = _problems(world, huge, filename="r.csv")
    assert "at most 10 MB" in big


def test_the_export_round_trips_and_its_read_is_audited(world: World) -> None:
    rows = office_rows(40)
    rows[0][5] = "=HYPERLINK(\"http://x\",\"y\")"  # a name that would run as a formula
    rows[1][5] = "@SUM(A1)"
    _import(world, xlsx(rows))
    with UnitOfWork(world.factory) as uow:
        exported = export_residents(uow, world.runtime, _principal(world, "admin"),
                                    place_code="a")
    assert exported.residents == 40 + 3  # alice, bob and carol live in community a
    assert exported.revealed == ("national_id", "phone")
    book = load_workbook(io.BytesIO(exported.content))
    cells = [c for row in book.active.iter_rows() for c in row]  # type: ignore[union-attr]
    assert all(c.data_type == "s" for c in cells if c.value is not None)
    assert not any(str(c.value).startswith(("=", "@", "+", "-")) for c in cells)
    back = read_sheet(exported.content, "export.xlsx")

    def people(values: list[dict[str, Any]]) -> set[tuple[str, ...]]:
        keys = ("grid", "building", "unit", "room", "name", "relation", "birth", "phone",
                "national_id")
        return {tuple(str(v.get(k) or "") for k in keys) for v in values}

    sent = [dict(zip(HEADERS, r, strict=True)) for r in rows]
    assert people(sent) <= people([r.values for r in back.rows])
    # The office re-imports its own export: every row is recognised as already registered.
    again = _problems(world, exported.content)
    assert len(again) == 43 and all("already registered" in p for p in again)
    [audit_row] = _audits(world, "community.resident.export")
    assert audit_row.kind == "read" and audit_row.actor == "admin"
    assert audit_row.detail["revealed"] == ["national_id", "phone"]
    assert len(audit_row.detail["ids"]) == 43


def test_a_grid_worker_exports_phones_but_never_national_ids(world: World) -> None:
    _import(world, xlsx(office_rows(5, grids=("a1",))), who="grid_a1", place="a1")
    with UnitOfWork(world.factory) as uow:
        exported = export_residents(uow, world.runtime, _principal(world, "grid_a1"),
                                    place_code="a1")
    assert exported.revealed == ("phone",)
    back = read_sheet(exported.content, "x.xlsx")
    assert all(not r.values.get("national_id") for r in back.rows)
    assert any(r.values.get("phone") == "13812341234" for r in back.rows)  # alice's
    for who in ("dept", "manager", "alice"):
        with UnitOfWork(world.factory) as uow, pytest.raises(PermissionDenied):
            export_residents(uow, world.runtime, _principal(world, who), place_code="a1")


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_parsing(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("rescity.community.residents.sheet.MAX_UNPACKED", 2 * 1024 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b" " * (3 * 1024 * 1024))
    assert len(buf.getvalue()) < 100_000
    [problem] = _problems(world, buf.getvalue(), filename="bomb.xlsx")
    assert problem == "bomb.xlsx: unpacks to 3 MB; at most 2 MB can be read"
