"""The method document names every setting, so no configurable number is undocumented."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


ITEM_TABLES = {"weights", "circle", "medical", "supply", "shelter"}  # keyed by item ids


def leaf_keys(table: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in table.items():
        if isinstance(value, dict) and key not in ITEM_TABLES:
            out += leaf_keys(value, f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key}")
    return out


def test_every_default_setting_is_documented_in_method_md() -> None:
    defaults = tomllib.loads(
        (REPO / "rescity" / "assess" / "data" / "defaults.toml").read_text(encoding="utf-8"))
    doc = (REPO / "docs" / "assess" / "method.md").read_text(encoding="utf-8")
    missing = [k for k in leaf_keys(defaults) if k.split(".")[-1] not in doc]
    assert not missing, f"undocumented settings: {missing}"
