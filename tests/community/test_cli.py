"""`rescity demo` loads the community demo; `rescity community …` runs the jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rescity.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    for var in ("RESCITY_DATABASE_URL", "RESCITY_CONFIG", "RESCITY_DATA_KEYS"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_demo_loads_synthetic_households_and_prints_the_resident_login(cli_env: Path) -> None:
    first = runner.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "community: 7 synthetic residents, 1 fever alert" in first.output
    assert "resident login: resident1 / " in first.output
    again = runner.invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0 and "already loaded; resident login: resident1" in again.output


def test_purge_sweep_and_reseal_commands(cli_env: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve"]).exit_code == 0
    swept = runner.invoke(app, ["community", "sweep", "--now", "2099-01-01T13:00"])
    assert swept.exit_code == 0 and "missed-check-in alerts raised: 7" in swept.output
    purged = runner.invoke(app, ["community", "purge", "--now", "2099-01-01T00:00"])
    assert purged.exit_code == 0 and "checkins deleted" in purged.output
    assert runner.invoke(app, ["community", "reseal"]).exit_code == 0
    bad = runner.invoke(app, ["community", "purge", "--now", "yesterday"])
    assert bad.exit_code != 0
