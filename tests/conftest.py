"""Fixtures shared by every test: settings, databases on both backends, shared data paths.

PostgreSQL tests run against the local server: ``RESCITY_TEST_PG_ADMIN_URL``, else the login
``scripts/setup.sh --dev`` provisioned (``scripts/test-postgres.sh`` writes it to
``RESCITY_PG_URL_FILE``, by default ``~/.config/rescity/test-postgres-url``), else
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``.
Each test session creates a throwaway database and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import sessionmaker

from rescity.core.config import Settings, load_settings
from rescity.core.storage import migrate
from rescity.core.storage.db import make_engine, make_session_factory

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("RESCITY_SHARED_DIR", REPO.parent / "shared"))
OSM_DIR = SHARED / "data" / "osm"
SEEDS_DIR = SHARED / "seeds"


def _pg_admin_url() -> str:
    """The login that may create the throwaway test databases (see the module docstring)."""
    if os.environ.get("RESCITY_TEST_PG_ADMIN_URL"):
        return os.environ["RESCITY_TEST_PG_ADMIN_URL"]
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    provisioned = Path(os.environ.get("RESCITY_PG_URL_FILE")
                       or config / "rescity" / "test-postgres-url")
    if provisioned.is_file():
        return provisioned.read_text("utf-8").strip()
    return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


PG_ADMIN_URL = _pg_admin_url()


@pytest.fixture(scope="session")
def osm_dir() -> Path:
    if not OSM_DIR.is_dir():
        pytest.fail(f"shared OSM extracts not found at {OSM_DIR} (set RESCITY_SHARED_DIR)")
    return OSM_DIR


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS_DIR.is_dir():
        pytest.fail(f"shared seeds not found at {SEEDS_DIR} (set RESCITY_SHARED_DIR)")
    return SEEDS_DIR


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session (per xdist worker)."""
    name = f"rescity_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        shown = make_url(PG_ADMIN_URL).render_as_string(hide_password=True)
        pytest.fail(f"local PostgreSQL not reachable at {shown}: {exc} "
                    "(run scripts/setup.sh --dev or set RESCITY_TEST_PG_ADMIN_URL)")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as conn:
        conn.execute(
            # Only this login's own sessions: an autovacuum worker on the database is a
            # superuser process a non-superuser may not end (DROP DATABASE stops it itself).
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                 " AND usename = current_user AND pid <> pg_backend_pid()"),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for each backend, empty (no tables)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    url: str = request.getfixturevalue("pg_server_url")
    engine = make_engine(url)
    _reset_postgres(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a freshly migrated database, on each backend."""
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database only, for tests that do not depend on the backend."""
    eng = make_engine(f"sqlite:///{tmp_path / 'one.sqlite3'}")
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Any]:
    return make_session_factory(engine)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return load_settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=db_url,
        secret_key="test-secret-" + "x" * 32,
    )


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright, one per test module.

    Module scope, not session: Playwright's sync API runs an event loop for as long as it is
    open, and a second instance in the same worker refuses to start beside it.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/setup.sh --dev (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def artifacts() -> Path:
    """Where browser tests save screenshots for people to look at (not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
