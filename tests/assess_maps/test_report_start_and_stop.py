"""What a report's start and end cost: the modules its main process imports leave scipy out
(only workers and small exact runs need it), and its browser is stopped at once, leaving
nothing behind: no process, no profile (kept in memory, ``/dev/shm``, where there is one)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from rescity.assess.adapters.pdf import PdfPrinter, find_chromium, profile_root

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _profiles() -> set[Path]:
    return set(Path(profile_root() or tempfile.gettempdir()).glob("rescity-pdf-*"))


def test_closing_the_printer_stops_the_browser_and_removes_its_profile(tmp_path: Path) -> None:
    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium on this machine")
    before = _profiles()
    html = tmp_path / "r.html"
    html.write_text('<!doctype html><meta charset="utf-8"><h1>韧性评估 Resilience</h1>',
                    encoding="utf-8")
    with PdfPrinter(exe) as printer:
        assert printer._proc is not None and printer._profile is not None
        pid, profile = printer._proc.pid, Path(printer._profile)
        if os.path.isdir("/dev/shm"):
            assert profile.parent == Path("/dev/shm")
        out = printer.print(html, tmp_path / "r.pdf")
        assert out is not None and out.read_bytes()[:5] == b"%PDF-"
    assert not _alive(pid)
    assert not profile.exists()
    assert _profiles() <= before


def test_the_report_process_imports_no_scipy() -> None:
    code = ("import sys\n"
            "from rescity.assess.adapters.pdf import PdfPrinter\n"
            "from rescity.assess.adapters.result_store import load_result\n"
            "from rescity.assess.domain.analysis import load_analysis\n"
            "from rescity.assess.reporting.report import ReportDraft\n"
            "from rescity.assess.services.analyse import analyse_city\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_the_heap_is_frozen_only_when_the_process_exits() -> None:
    # handlers run last-registered first: this one sees the state after freeze_at_exit's
    code = ("import atexit, gc\n"
            "atexit.register(lambda: print('at exit', gc.get_freeze_count() > 0))\n"
            "from rescity.core.heap import freeze_at_exit\n"
            "freeze_at_exit(); freeze_at_exit()\n"
            "print('before', gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[:2] == ["before 0", "at exit True"]
