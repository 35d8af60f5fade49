"""`rescity demo` loads the community demo; `rescity community …` runs the jobs."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
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
    swept = runner.invoke(app, ["community", "sweep", "--now", "2099-01-01T13:00+00:00"])
    assert swept.exit_code == 0 and "missed-check-in alerts raised: 7" in swept.output
    purged = runner.invoke(app, ["community", "purge", "--now", "2099-01-01T00:00"])
    assert purged.exit_code == 0 and "checkins deleted" in purged.output
    assert runner.invoke(app, ["community", "reseal"]).exit_code == 0
    bad = runner.invoke(app, ["community", "purge", "--now", "yesterday"])
    assert bad.exit_code != 0


def test_sweeps_rehearse_with_at_and_count_only_what_they_raised(cli_env: Path) -> None:
    assert runner.invoke(app, ["demo", "--no-serve"]).exit_code == 0
    # Local time of the community's zone: the check-in deadline is 20:00 in Shanghai.
    early = runner.invoke(app, ["community", "sweep", "--at", "2099-01-01T19:00"])
    assert "2099-01-01 19:00 CST (Asia/Shanghai)" in early.output
    assert "missed-check-in alerts raised: 0" in early.output
    first = runner.invoke(app, ["community", "sweep", "--at", "2099-01-01T21:00"])
    assert first.exit_code == 0, first.output
    assert "missed-check-in alerts raised: 7" in first.output
    again = runner.invoke(app, ["community", "sweep", "--at", "2099-01-01T15:00+00:00"])
    assert "2099-01-01 23:00 CST" in again.output
    assert "missed-check-in alerts raised: 0" in again.output  # raised earlier that day
    cases = runner.invoke(app, ["cases", "sweep", "--at", "2099-01-01T13:00"])
    assert cases.exit_code == 0, cases.output
    assert "2099-01-01 13:00 CST (Asia/Shanghai)" in cases.output
    assert re.search(r"escalated [1-9]\d*", cases.output)  # demo cases are long overdue by then
    bad = runner.invoke(app, ["cases", "sweep", "--at", "soon"])
    assert bad.exit_code != 0


def test_case_scores_fit_the_terminal_and_export(cli_env: Path, monkeypatch) -> None:
    assert runner.invoke(app, ["demo", "--no-serve"]).exit_code == 0
    month = datetime.now(UTC).strftime("%Y-%m")
    monkeypatch.setenv("COLUMNS", "80")
    shown = runner.invoke(app, ["cases", "scores", "--month", month])
    assert shown.exit_code == 0, shown.output
    assert "zb-property" in shown.stdout and "open" in shown.stdout
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
    assert "…" not in shown.stdout  # nothing cut short
    as_json = runner.invoke(app, ["cases", "scores", "--month", month, "--json"])
    rows = json.loads(as_json.stdout)
    assert rows and {"handler", "due", "points", "deductions"} <= set(rows[0])
    as_csv = runner.invoke(app, ["cases", "scores", "--month", month, "--csv"])
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["handler"] for r in parsed] == [r["handler"] for r in rows]
    assert [float(r["points"]) for r in parsed] == [r["points"] for r in rows]


def test_reseal_reports_each_column_and_fails_on_values_no_key_opens(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rescity.core.security.personal_data import new_key_spec

    k1, k2 = new_key_spec("k1"), new_key_spec("k2")
    monkeypatch.setenv("RESCITY_DATA_KEYS", k1)
    assert runner.invoke(app, ["demo", "--no-serve"]).exit_code == 0
    monkeypatch.setenv("RESCITY_DATA_KEYS", f"{k2},{k1}")
    first = runner.invoke(app, ["community", "reseal", "--batch", "2"])
    assert first.exit_code == 0, first.output
    assert "moved to key k2" in first.output
    for label in ("community_resident.phone_sealed", "community_ops_volunteer.phone_sealed",
                  "community_ops_help_request.contact_sealed",
                  "community_ops_case.reporter_contact_sealed"):
        assert label in first.output
    moved = int(re.findall(r"values moved to the newest key: (\d+)", first.output)[0])
    assert moved > 0
    monkeypatch.setenv("RESCITY_DATA_KEYS", k2)  # the old key removed: nothing left on it
    again = runner.invoke(app, ["community", "reseal"])
    assert again.exit_code == 0 and "values moved to the newest key: 0" in again.output
    monkeypatch.setenv("RESCITY_DATA_KEYS", new_key_spec("k3"))  # k2 forgotten too early
    lost = runner.invoke(app, ["community", "reseal"])
    assert lost.exit_code == 1
    assert "no configured key opens" in lost.output and "do not remove an old key" in lost.output
