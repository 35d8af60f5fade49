"""docs/python-api.md runs as written: its Python blocks, in order, on the shared data and a
demo database (so the page cannot drift from the code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rescity.cli import app
from tests.conftest import REPO, SHARED

PAGE = REPO / "docs" / "python-api.md"


@pytest.mark.slow
def test_the_python_api_page_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not (SHARED / "data" / "osm").is_dir():
        pytest.fail(f"shared data not found at {SHARED} (set RESCITY_SHARED_DIR)")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    for var in ("RESCITY_DATABASE_URL", "RESCITY_CONFIG", "RESCITY_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RESCITY_SEEDS_DIR", str(SHARED / "seeds"))
    demo = CliRunner().invoke(app, ["demo", "--no-serve"])
    assert demo.exit_code == 0, demo.output

    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text("utf-8"), flags=re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(SHARED)
    namespace: dict[str, object] = {}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"{PAGE.name} block {number}", "exec"), namespace)
    origins = namespace["origins"]
    assert len(origins) > 0 and "life_service" in origins.columns  # type: ignore[attr-defined]
    assert namespace["titles"] and len(namespace["monthly"]) > 0  # type: ignore[arg-type]
