"""Every ORM module registers the tables its foreign keys refer to.

A module whose foreign keys name `app_user` or `place` without importing their models works
only where something else imported them first; a command that imports just that module fails
at its first flush (NoReferencedTableError). Each module is checked in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in (ROOT / "rescity").rglob("*.py")
    if "ForeignKey(" in path.read_text(encoding="utf-8")
)

CHECK = """
import importlib, sys
importlib.import_module(sys.argv[1])
from sqlalchemy.orm import configure_mappers
from rescity.core.storage.db import Base
configure_mappers()
for table in Base.metadata.tables.values():
    for fk in table.foreign_keys:
        fk.column
"""


def test_the_modules_are_found() -> None:
    assert "rescity.core.notifications.models" in MODULES
    assert len(MODULES) >= 10


@pytest.mark.parametrize("module", MODULES)
def test_foreign_keys_resolve_from_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, module], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-800:]
