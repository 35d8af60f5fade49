"""The CLI imports a command's module only when that command is asked for: help texts and the
knowledge and community commands never load the assess stack (geopandas, matplotlib, pyarrow)
or a JIT compiler."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import typer
import typer.main
from typer._click.utils import make_default_short_help

from rescity.cli.lazy import COMMANDS
from rescity.cli.modules import register_all

HEAVY = ("geopandas", "matplotlib", "numba", "pyarrow")

PROBE = """
import json, sys
sys.argv = ["rescity", *json.loads(sys.argv[1])]
from rescity.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy})), file=sys.stderr)
"""


@pytest.mark.parametrize("argv", [
    ["--help"], ["kb", "--help"], ["kb", "search", "--help"], ["kb", "export", "--help"],
    ["community", "--help"], ["community", "purge", "--help"], ["cases", "--help"],
    ["db", "--help"], ["user", "create", "--help"], ["places", "import", "--help"],
    ["notifications", "worker", "--help"],
])
def test_help_and_non_assess_commands_import_no_assess_stack(argv: list[str]) -> None:
    code = PROBE.replace("{heavy}", repr(set(HEAVY)))
    done = subprocess.run([sys.executable, "-c", code, json.dumps(argv)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert "Usage" in done.stdout, done.stdout + done.stderr
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert loaded == [], f"rescity {' '.join(argv)} imported {loaded}"


def test_the_lazy_command_list_names_every_command_with_its_own_help() -> None:
    eager = typer.Typer(rich_markup_mode=None)
    register_all(eager)
    commands = typer.main.get_command(eager).commands  # type: ignore[attr-defined]
    assert set(commands) == set(COMMANDS)
    for name, cmd in commands.items():
        for limit in (40, 60, 200):
            assert cmd.get_short_help_str(limit) == make_default_short_help(
                COMMANDS[name].help, limit), name


def test_commands_do_not_print_numexprs_thread_announcement() -> None:
    """pandas imports numexpr, which logged "NumExpr defaulting to N threads" at INFO into
    every assess and report run once the CLI had configured logging. (numexpr is optional
    for pandas: without it there is nothing to announce.)"""
    pytest.importorskip("numexpr")
    code = (
        "import sys\n"
        "sys.argv = ['rescity', 'kb', '--help']\n"
        "from rescity.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import numexpr\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMEXPR_MAX_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True, timeout=120)
    assert "NumExpr" not in done.stderr
