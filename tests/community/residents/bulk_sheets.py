"""Office sheets for the bulk-import tests, generated with openpyxl like an office's Excel."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook

from rescity.community.residents.sheet import HEADERS
from tests.community.conftest import national_id

Row = list[object]


def office_rows(n: int, *, grids: Sequence[str] = ("a1", "a2"), start: int = 0) -> list[Row]:
    """``n`` residents in households of 1-4 at dwellings of the given grids, every one with
    a phone and a valid national ID (synthetic, reproducible)."""
    rows: list[Row] = []
    i = start
    household = start
    while len(rows) < n:
        size = 1 + household % 4
        grid = grids[household % len(grids)]
        building, room = str(10 + household // 40), str(101 + household % 40)
        for member in range(size):
            if len(rows) >= n:
                break
            relation = ("self", "spouse", "child", "parent")[member]
            born = (1980, 1982, 2010, 1950)[member] + i % 7
            day = 1 + (i // 1000) % 28
            rows.append([f"H{household:04d}", grid, building, "1", room, f"居民{i:04d}",
                         relation, str(born), f"139{i:08d}",
                         national_id(f"110101{born}01{day:02d}{i % 1000:03d}")])
            i += 1
        household += 1
    return rows


def xlsx(rows: Sequence[Sequence[object]], headers: Sequence[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "居民"
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text typed with a leading apostrophe: not a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Sequence[Sequence[object]], encoding: str,
              headers: Sequence[str] = HEADERS) -> bytes:
    lines = [",".join(headers)] + [",".join(str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
