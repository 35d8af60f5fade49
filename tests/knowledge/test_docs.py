"""The knowledge docs stay in step with the code: every command and format is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rescity.cli import app
from rescity.knowledge.adapters.importers import FORMATS
from rescity.knowledge.entrypoints.cli import kb_app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "knowledge"


@pytest.mark.parametrize("command", sorted(c.name or "" for c in kb_app.registered_commands))
def test_every_kb_command_is_documented_and_has_help(command: str) -> None:
    assert f"rescity kb {command}" in (DOCS / "README.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(app, ["kb", command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_import_format_is_documented(fmt: str) -> None:
    assert fmt in (DOCS / "README.md").read_text(encoding="utf-8")


def test_the_matching_weights_in_the_docs_are_the_ones_in_the_code() -> None:
    from rescity.knowledge.domain.matching import WEIGHTS

    text = (DOCS / "matching.md").read_text(encoding="utf-8")
    for name, weight in WEIGHTS.items():
        assert f"| `{name}` | {weight:.2f} |" in text
