"""HTML → PDF with a headless Chromium, when one is installed (Debian: ``/usr/bin/chromium``).

Chromium prints exactly what a browser shows (inline SVG, CJK fonts, tables), with no extra
Python dependency. When no Chromium is found the caller simply gets no PDF.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def html_to_pdf(html: Path, pdf: Path, *, chromium: str | None = None,
                timeout_s: float = 180.0) -> Path | None:
    """Print ``html`` to ``pdf``; None (and a log line) when no Chromium is available or it
    fails."""
    exe = chromium or find_chromium()
    if exe is None:
        log.info("no Chromium found: skipping the PDF")
        return None
    with tempfile.TemporaryDirectory(prefix="rescity-pdf-") as profile:
        cmd = [
            exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--no-pdf-header-footer",
            f"--print-to-pdf={pdf.resolve()}", html.resolve().as_uri(),
        ]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout_s)  # noqa: S603
        except (subprocess.SubprocessError, OSError) as exc:
            log.warning("PDF conversion with %s failed: %s", exe, exc)
            return None
    return pdf if pdf.is_file() and pdf.stat().st_size > 0 else None
