"""The command line: help, database, users, demo, and clear errors instead of tracebacks."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rescity.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    for var in ("RESCITY_DATABASE_URL", "RESCITY_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("db", "user", "serve", "demo", "audit"):
        assert command in result.output


def test_db_upgrade_then_user_create_then_audit(cli_env: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert (cli_env / "rescity" / "rescity.sqlite3").exists()
    created = runner.invoke(app, ["user", "create", "ops", "--password", "long-enough-pw"])
    assert created.exit_code == 0, created.output
    listing = runner.invoke(app, ["audit", "--kind", "write"])
    assert "user.create" in listing.output
    assert "up to date" in runner.invoke(app, ["db", "current"]).output
    assert runner.invoke(app, ["db", "downgrade", "base"]).exit_code == 0
    assert "needs `rescity db upgrade`" in runner.invoke(app, ["db", "current"]).output


def _logins(output: str) -> dict[str, str]:
    return dict(re.findall(r"│ (\w+)\s+│ (\S+)\s+│", output))


def test_demo_creates_the_hierarchy_and_prints_logins(cli_env: Path, monkeypatch) -> None:
    from rescity.cli import demo as demo_cli

    monkeypatch.setenv("COLUMNS", "200")
    # The console keeps the width it was made with (another test may have made it at 100):
    # paths must come out whole however narrow the terminal.
    monkeypatch.setattr(demo_cli.console, "width", 80)
    first = runner.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    database = cli_env / "rescity" / "rescity.sqlite3"
    assert first.output.startswith(f"database: sqlite:///{database}")
    assert "http://" not in first.output  # nothing served, so no URL
    logins = _logins(first.output)
    assert {"admin", "grid1", "editor", "office"} <= set(logins)
    assert "│ office " in first.output and "community_admin" in first.output
    kept = cli_env / "rescity" / "demo-logins.json"
    assert f"kept in {kept}" in first.output and kept.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(app, ["demo", "--no-serve"])  # idempotent
    assert again.exit_code == 0, again.output
    assert _logins(again.output) == logins  # the same passwords every start
    kept_logins = json.loads(kept.read_text())
    assert f"resident1 / {kept_logins['resident1']}" in again.output
    assert f"volunteer1 / {kept_logins['volunteer1']}" in again.output
    assert {**logins, "resident1": kept_logins["resident1"],
            "volunteer1": kept_logins["volunteer1"]} == kept_logins  # every login is printed


def test_commands_that_open_the_database_say_which(cli_env: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    listed = runner.invoke(app, ["kb", "search", "韧性"])
    assert listed.exit_code == 0, listed.output
    database = cli_env / "rescity" / "rescity.sqlite3"
    assert f"database: sqlite:///{database}" in listed.stderr
    assert "database:" not in listed.stdout  # piped output stays clean


def _run(args: list[str], env_extra: dict[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "XDG_DATA_HOME": str(tmp), "HOME": str(tmp), **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "rescity", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_bad_setting_gives_a_one_line_error_not_a_traceback(tmp_path: Path) -> None:
    result = _run(["db", "upgrade"], {"RESCITY_PORT": "eighty"}, tmp_path)
    assert result.returncode == 2
    assert "setting 'port' (RESCITY_PORT)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    result = _run(["--config", str(tmp_path / "nope.toml"), "db", "current"], {}, tmp_path)
    assert result.returncode == 2 and "nope.toml: config file not found" in result.stderr


def test_commands_refuse_an_outdated_database(cli_env: Path) -> None:
    result = runner.invoke(app, ["user", "create", "x", "--password", "long-enough-pw"])
    assert result.exit_code != 0
    assert "rescity db upgrade" in str(result.exception)


def test_weak_passwords_are_refused(cli_env: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(app, ["user", "create", "ops", "--password", "short"])
    assert "at least 8 characters" in str(result.exception)
