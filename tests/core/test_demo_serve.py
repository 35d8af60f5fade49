"""`rescity demo` on a busy port: a printed URL always leads to this app, or none is printed.

The demo runs as a user starts it, in its own process; its default port is made a port this
test holds (the real default, 8000, belongs to whoever runs on the machine).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# `rescity` with its default port replaced, as if 8000 were the port this test occupies.
WITH_DEFAULT_PORT = (
    "import sys\n"
    "from rescity.core import config\n"
    "config.Settings.model_fields['port'].default = int(sys.argv.pop(1))\n"
    "config.Settings.model_rebuild(force=True)\n"
    "from rescity.cli import main\n"
    "main()\n"
)


@pytest.fixture
def occupied() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        yield int(other.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RESCITY_DATABASE_URL", "RESCITY_CONFIG", "RESCITY_PORT")}
    return {**env, "XDG_DATA_HOME": str(tmp_path), "COLUMNS": "200", **extra}


@pytest.mark.slow
def test_with_the_default_port_busy_the_demo_serves_on_a_free_one_and_prints_only_that_url(
    occupied: int, tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", WITH_DEFAULT_PORT, str(occupied), "demo"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(tmp_path),
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("web app:"):
                break
        output = "".join(lines)
        urls = re.findall(r"http://127\.0\.0\.1:(\d+)/", output)
        assert urls, output
        assert f"port {occupied} is in use" in output
        assert str(occupied) not in urls
        port = urls[0]
        assert set(urls) == {port}  # the only URL printed is the one served
        # Printed once the server is up: the page answers at once.
        home = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert home.status_code == 200 and "rescity" in home.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_busy_port_asked_for_stops_the_demo_before_any_url(
    occupied: int, tmp_path: Path
) -> None:
    for args, extra in ((["demo", "--port", str(occupied)], {}),
                        (["demo"], {"RESCITY_PORT": str(occupied)})):
        done = subprocess.run([sys.executable, "-m", "rescity", *args], capture_output=True,
                              text=True, env=_env(tmp_path, **extra), timeout=120, check=False)
        assert done.returncode == 2
        assert "http://" not in done.stdout + done.stderr
        assert f"127.0.0.1:{occupied}" in done.stderr and "--port" in done.stderr
        assert "Traceback" not in done.stderr
        assert "demo logins" not in done.stdout  # stopped before setting anything up
