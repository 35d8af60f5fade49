"""The built wheel, installed outside the checkout, runs `rescity demo` with its pages and CSS.

The wheel is installed without dependencies into a fresh virtualenv in a temporary folder; the
dependencies come from the project's own environment through a ``.pth`` path entry (an
isolated install downloads ~1 GB and takes minutes: set ``RESCITY_WHEEL_FULL_INSTALL=1`` to
do it anyway). Either way ``rescity`` itself is imported from the wheel, never the checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.live import free_port

DATA_FOLDERS = ("rescity/web/static", "rescity/web/templates", "rescity/core/i18n/catalogs")


def _run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False,
                          **kw)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{args[:4]}: {done.stderr[-2000:]}"
    return done


def _build_wheel(out: Path) -> Path:
    """Built from a copy of what a checkout holds: a stale ``build/`` folder adds nothing."""
    source = out.parent / "source"
    shutil.copytree(REPO / "rescity", source / "rescity",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "setup.py", "MANIFEST.in"):
        if (REPO / name).exists():  # setup.py: a compiled extension's build, if any
            shutil.copy(REPO / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)])
    (wheel,) = out.glob("rescity-*.whl")
    return wheel


def _venv_with(wheel: Path, root: Path) -> Path:
    venv = root / "venv"
    full = os.environ.get("RESCITY_WHEEL_FULL_INSTALL") == "1"
    _run([sys.executable, "-m", "venv", *([] if full else ["--without-pip"]), str(venv)])
    python = venv / "bin" / "python"
    if full:
        _run([str(python), "-m", "pip", "install", "-q", str(wheel)])
        return venv
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
          str(wheel)])
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
                     ).stdout.strip())
    # A plain path entry: the checkout's editable-install hook in there is not run.
    (site / "project-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv


@pytest.mark.slow
def test_the_wheel_serves_the_demo_with_its_css_from_outside_the_checkout(
    tmp_path: Path,
) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    on_disk = {str(p.relative_to(REPO)) for folder in DATA_FOLDERS
               for p in (REPO / folder).rglob("*") if p.is_file() and p.suffix != ".pyc"}
    assert "rescity/web/static/vendor/pico.min.css" in on_disk, "run scripts/setup.sh first"
    assert sorted(on_disk - names) == []  # every template, catalog, asset and vendored file

    venv = _venv_with(wheel, tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RESCITY_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), COLUMNS="200")
    where = _run([str(venv / "bin" / "python"), "-c", "import rescity; print(rescity.__file__)"],
                 cwd=outside, env=env).stdout.strip()
    assert where.startswith(str(venv)), where
    _run([str(venv / "bin" / "python"), "-m", "pip", "check"] if (venv / "bin" / "pip").exists()
         else [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "check"],
         cwd=outside, env=env)

    port = free_port()
    demo = subprocess.Popen([str(venv / "bin" / "rescity"), "demo", "--port", str(port)],
                            cwd=outside, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert demo.stdout is not None
        seen, deadline = [], time.monotonic() + 180
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith("web app:"):
                break
        assert seen and seen[-1].startswith(f"web app: http://127.0.0.1:{port}/"), "".join(seen)
        base = f"http://127.0.0.1:{port}"
        for page in ("/", "/login"):
            html = httpx.get(base + page, timeout=10)
            assert html.status_code == 200
            sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html.text)
            assert "/static/vendor/pico.min.css" in sheets
            for href in sheets:
                css = httpx.get(base + href, timeout=10)
                assert css.status_code == 200, href
                assert css.headers["content-type"].startswith("text/css")
                assert len(css.content) > 100
        icon = httpx.get(f"{base}/static/vendor/leaflet/images/marker-icon.png", timeout=10)
        assert icon.status_code == 200 and icon.content[:4] == b"\x89PNG"
    finally:
        demo.terminate()
        demo.wait(timeout=30)
