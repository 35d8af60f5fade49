"""The documentation stays true: every command and every setting is documented."""

import os
import re
from pathlib import Path

from rescity.core.config import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_cli_reference_is_up_to_date(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TERM", "dumb")
    from rescity.cli.docs import reference

    current = (DOCS / "cli.md").read_text("utf-8")
    assert current.strip() == reference().strip(), (
        "docs/cli.md is stale: run `python -m rescity.cli.docs > docs/cli.md`"
    )


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text("utf-8")
    documented = set(re.findall(r"`RESCITY_([A-Z0-9_]+)`", text))
    expected = {name.upper() for name in Settings.model_fields}
    assert expected - documented == set(), "undocumented settings"
    assert documented - expected - {"CONFIG"} == set(), "documented settings that do not exist"


def test_the_readme_names_its_two_commands_and_they_exist() -> None:
    readme = (DOCS.parent / "README.md").read_text("utf-8")
    for script in ("scripts/demo.sh", "scripts/test.sh"):
        assert script in readme and os.access(DOCS.parent / script, os.X_OK)
    assert "bash scripts/test.sh" in (DOCS.parent / ".ci" / "run").read_text("utf-8")
