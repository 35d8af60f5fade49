"""scripts/setup.sh leaves a machine where the suite passes, whatever ran on it before.

Two machines are simulated here rather than assumed: one whose matplotlib font list was
cached before the CJK fonts were installed, and a PostgreSQL server that requires passwords
(Debian's default for new clusters: peer on the socket, scram-sha-256 over TCP), a throwaway
cluster of its own on a free port, torn down afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import REPO
from tests.live import free_port

FIND_CJK = (
    "from matplotlib import font_manager as fm\n"
    "print(fm.findfont('Noto Sans CJK SC', fallback_to_default=False))\n"
)
STALE_CACHE = (
    "import matplotlib, sys\n"
    "from pathlib import Path\n"
    "from matplotlib import font_manager as fm\n"
    "fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist if 'CJK' not in f.name]\n"
    "cache = Path(matplotlib.get_cachedir()) / f'fontlist-v{fm.FontManager.__version__}.json'\n"
    "fm.json_dump(fm.fontManager, cache)\n"
)


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


@pytest.mark.slow
def test_a_font_list_cached_before_the_cjk_fonts_is_rebuilt(tmp_path: Path) -> None:
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl")}
    assert _python(STALE_CACHE, env).returncode == 0
    stale = _python(FIND_CJK, env)
    assert stale.returncode != 0 and "Failed to find font" in stale.stderr  # as in the issue

    fixed = subprocess.run([sys.executable, str(REPO / "scripts" / "fontcache.py")],
                           capture_output=True, text=True, env=env, timeout=120, check=False)
    assert fixed.returncode == 0, fixed.stderr
    assert "rebuilt" in fixed.stdout
    found = _python(FIND_CJK, env)
    assert found.returncode == 0, found.stderr
    assert "NotoSansCJK" in found.stdout

    again = subprocess.run([sys.executable, str(REPO / "scripts" / "fontcache.py")],
                           capture_output=True, text=True, env=env, timeout=120, check=False)
    assert "up to date" in again.stdout  # a current list is left alone


def _pg_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if not found:
        pytest.fail(f"{tool} missing: install Debian's postgresql (scripts/setup.sh --dev does)")
    return found[-1]


def _as_postgres(*args: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                   capture_output=True, timeout=120)


@pytest.fixture
def scram_cluster() -> Iterator[tuple[int, Path]]:
    """A PostgreSQL cluster with Debian's default authentication: (port, socket folder)."""
    if os.geteuid() != 0:
        pytest.skip("runs a throwaway cluster as the postgres OS user: needs root")
    base = Path(tempfile.mkdtemp(prefix="rescity-scram-"))
    shutil.chown(base, "postgres")
    data, port = base / "data", free_port()
    _as_postgres(_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth-local=peer",
                 "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions")
    options = (f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c shared_buffers=16MB -c max_connections=40")
    _as_postgres(_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"),
                 "-w", "start")
    try:
        yield port, base
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", _pg_bin("pg_ctl"), "-D", str(data),
                        "-m", "immediate", "stop"], capture_output=True, timeout=60, check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.postgres
def test_setup_gives_the_tests_a_login_on_a_server_that_requires_passwords(
    scram_cluster: tuple[int, Path], tmp_path: Path
) -> None:
    port, socket_dir = scram_cluster
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres").close()

    url_file = tmp_path / "config" / "test-postgres-url"
    env = {**os.environ, "RESCITY_PG_PORT": str(port), "RESCITY_PG_SOCKET_DIR": str(socket_dir),
           "RESCITY_PG_URL_FILE": str(url_file)}
    provision = ["bash", str(REPO / "scripts" / "test-postgres.sh")]
    done = subprocess.run(provision, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    url = url_file.read_text("utf-8").strip()
    assert url.startswith("postgresql+psycopg://rescity_test:") and f":{port}/" in url
    assert oct(url_file.stat().st_mode & 0o777) == "0o600"

    # The suite's own PostgreSQL tests, pointed at this server through the written login.
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "postgres",
         "tests/core/test_migrations.py", "tests/core/test_audit.py"],
        cwd=REPO, env={**os.environ, "RESCITY_TEST_PG_ADMIN_URL": url},
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert suite.returncode == 0, suite.stdout[-3000:]
    assert " passed" in suite.stdout and "skipped" not in suite.stdout

    again = subprocess.run(provision, env=env, capture_output=True, text=True, timeout=120,
                           check=False)
    assert again.returncode == 0 and url_file.read_text("utf-8").strip() == url
