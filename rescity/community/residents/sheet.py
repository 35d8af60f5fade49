"""The office's resident sheet: its columns, and reading it from XLSX or CSV and writing it
back as XLSX.

Offices keep their register in Excel. A sheet is read whole into memory (the size is capped
before anything is parsed), its header row is checked by name, and every later row becomes
a :class:`SheetRow` keyed by column. Nothing here knows about the database.

CSV files come in UTF-8 (with or without the BOM Excel writes) or in GB18030, which is what
Excel on a Chinese Windows saves as "CSV"; the encoding used is reported. Cells written back
are neutralised against formula injection: a value starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return gets a leading apostrophe, which reading strips again.

May import: ``rescity.core``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from rescity.core.errors import InputError, Problem

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNPACKED = 200 * 1024 * 1024  # an XLSX is a zip: a small file may unpack to a huge one
MAX_COLUMNS = 64
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | date | datetime | None


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    required: bool


COLUMNS = (
    Column("household", "户号", True),
    Column("grid", "网格", True),
    Column("building", "楼栋", True),
    Column("unit", "单元", False),
    Column("room", "房号", True),
    Column("name", "姓名", True),
    Column("relation", "与户主关系", True),
    Column("birth", "出生", False),
    Column("phone", "电话", False),
    Column("national_id", "身份证号", False),
)
HEADERS = tuple(c.key for c in COLUMNS)
_BY_NAME = {c.key: c.key for c in COLUMNS} | {c.zh: c.key for c in COLUMNS}


@dataclass(frozen=True)
class SheetRow:
    number: int  # as the office sees it: the header is row 1
    values: dict[str, Cell]


@dataclass(frozen=True)
class Sheet:
    format: str  # "xlsx" or "csv"
    encoding: str  # for CSV: "UTF-8", "UTF-8 with BOM", "GB18030" or "UTF-16"; "" for XLSX
    rows: list[SheetRow]


def read_sheet(data: bytes, filename: str) -> Sheet:
    """The rows of an XLSX (first sheet) or CSV file; InputError naming the file otherwise."""
    if len(data) > MAX_BYTES:
        raise InputError([Problem(filename, f"the file is {len(data) / 2**20:.1f} MB; at most "
                                            f"{MAX_BYTES // 2**20} MB can be imported")])
    if not data.strip():
        raise InputError([Problem(filename, "the file is empty")])
    is_zip = data[:4] == b"PK\x03\x04"
    if filename.lower().endswith((".xlsx", ".xlsm")) or is_zip:
        if not is_zip:
            raise InputError([Problem(filename, "not an XLSX workbook (not a zip archive); "
                                                "save it from Excel as .xlsx or as CSV")])
        return Sheet("xlsx", "", _rows(filename, _xlsx_cells(data, filename)))
    if filename.lower().endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError([Problem(filename, "old Excel .xls files cannot be read; save the "
                                            "sheet as .xlsx or CSV")])
    text, encoding = decode_csv(data, filename)
    return Sheet("csv", encoding, _rows(filename, _csv_cells(text)))


def decode_csv(data: bytes, filename: str) -> tuple[str, str]:
    """The text of a CSV file and the name of the encoding it was in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 with BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise InputError([Problem(filename, f"neither UTF-8 nor GB18030 text (byte "
                                            f"{exc.start}); save the sheet as CSV UTF-8")]
                         ) from None


def _csv_cells(text: str) -> Iterable[Sequence[Cell]]:
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_cells(data: bytes, filename: str) -> Iterable[Sequence[Cell]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InputError([Problem(filename, f"not a readable XLSX workbook "
                                            f"({type(exc).__name__}: {exc})")]) from None
    if unpacked > MAX_UNPACKED:
        raise InputError([Problem(filename, f"unpacks to {unpacked // 2**20} MB; at most "
                                            f"{MAX_UNPACKED // 2**20} MB can be read")])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise InputError([Problem(filename, f"not a readable XLSX workbook "
                                            f"({type(exc).__name__}: {exc})")]) from None
    try:
        if not book.worksheets:
            raise InputError([Problem(filename, "the workbook has no sheet")])
        rows = []
        for row in book.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS):
            rows.append(row)
            if len(rows) > MAX_ROWS + 1:  # the header, and one too many
                raise InputError([Problem(filename, f"more than {MAX_ROWS} rows; split the "
                                                    "file")])
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError([Problem(filename, f"not a readable XLSX workbook "
                                            f"({type(exc).__name__}: {exc})")]) from None
    finally:
        book.close()
    return rows


def _header(value: Cell) -> str:
    return str(value or "").strip().lstrip("\ufeff").strip().lower()


def _rows(filename: str, cells: Iterable[Sequence[Cell]]) -> list[SheetRow]:
    it = iter(cells)
    header = next(it, None)
    if header is None or not any(_header(h) for h in header):
        raise InputError([Problem(f"{filename}, row 1", "no header row; the first row names "
                                  f"the columns: {', '.join(HEADERS)}")])
    problems: list[Problem] = []
    keys: list[str | None] = []
    for index, raw in enumerate(header, start=1):
        name = _header(raw)
        if not name:
            keys.append(None)
            continue
        key = _BY_NAME.get(name)
        if key is None:
            problems.append(Problem(f"row 1, column {index}",
                                    f"unknown column '{name}'; known: {', '.join(HEADERS)}"))
        elif key in keys:
            problems.append(Problem(f"row 1, column {index}", f"column '{key}' appears twice"))
        keys.append(key)
    for column in COLUMNS:
        if column.required and column.key not in keys:
            problems.append(Problem("row 1", f"missing column '{column.key}' ({column.zh})"))
    if problems:
        raise InputError(problems, source=filename)
    rows: list[SheetRow] = []
    for number, values in enumerate(it, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise InputError([Problem(filename, f"more than {MAX_ROWS} rows; split the file")])
        extra = values[len(keys):]
        if any(v not in (None, "") for v in extra):
            raise InputError([Problem(f"row {number}", "more cells than header columns")],
                             source=filename)
        row = {k: _plain(v) for k, v in zip(keys, values, strict=False) if k is not None}
        rows.append(SheetRow(number, row))
    return rows


def _plain(value: Cell) -> Cell:
    """Undo the export's neutralisation: ``'=x`` is the text ``=x``."""
    if isinstance(value, str):
        value = value.strip()
        if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
            return value[1:]
    return value


def neutralise(value: object) -> str:
    """A cell's text that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_xlsx(rows: Iterable[Sequence[object]], *, title: str = "residents") -> bytes:
    """An XLSX workbook with the standard header row and ``rows``, every cell as text."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
