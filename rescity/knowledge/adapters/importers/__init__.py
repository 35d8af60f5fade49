"""Importers: one module per source format, each with ``parse(path) -> ImportResult``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rescity.core.errors import InputError, Problem
from rescity.knowledge.adapters.importers import guangzhou, iuc, iurc, json_export
from rescity.knowledge.domain.model import ImportResult

Parser = Callable[[Path], ImportResult]
FORMATS: dict[str, Parser] = {
    guangzhou.FORMAT: guangzhou.parse,
    iurc.FORMAT: iurc.parse,
    iuc.FORMAT: iuc.parse,
    json_export.FORMAT: json_export.parse,
}


def parse_file(path: Path, fmt: str) -> ImportResult:
    parser = FORMATS.get(fmt)
    if parser is None:
        raise InputError(
            [Problem("--format", f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")]
        )
    return parser(path)
