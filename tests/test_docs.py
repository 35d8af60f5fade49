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


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", markdown, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_every_relative_link_in_the_docs_leads_somewhere() -> None:
    root = DOCS.parent
    pages = [root / "README.md", root / "CONTRIBUTING.md", *DOCS.rglob("*.md")]
    broken = []
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not checked here
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.relative_to(root)}: {target}")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(
                dest.read_text("utf-8")
            ):
                broken.append(f"{page.relative_to(root)}: {target} (no such heading)")
    assert broken == []
