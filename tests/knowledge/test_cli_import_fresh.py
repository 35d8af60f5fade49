"""`rescity kb import` in a fresh process: the knowledge tables' foreign keys to the user
table must resolve although nothing else on that command's path imports the accounts model
(in-process tests hid this: other tests had imported it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_kb_import_from_a_fresh_process(tmp_path: Path, seeds_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RESCITY_CONFIG"}
    env["RESCITY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    seed = seeds_dir / "guangzhou-award-6th-chinese-initiatives.txt"
    for argv in (["db", "upgrade"], ["kb", "import", str(seed)], ["kb", "search", "海绵城市"]):
        done = subprocess.run([sys.executable, "-m", "rescity", *argv], env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
    assert "0 initiatives" not in done.stdout
