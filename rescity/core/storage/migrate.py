"""Alembic, configured in code so that ``rescity db upgrade`` needs no ini file.

Each module keeps its migrations in its own folder and Alembic branch (``core``,
``knowledge``, ``community``, ``assess``), each depending on ``core``. Modules can therefore
add migrations in parallel without fighting over a single head; ``upgrade`` goes to
``heads`` and ``downgrade`` to ``base`` across all branches.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MODULE_MIGRATIONS = ("core", "assess", "community", "knowledge")


def version_locations() -> list[str]:
    """The migration folders that exist, core first."""
    root = Path(str(resources.files("rescity")))
    found = []
    for module in MODULE_MIGRATIONS:
        if module == "core":
            path = root / "core" / "storage" / "migrations" / "versions"
        else:
            path = root / module / "adapters" / "migrations"
        if path.is_dir():
            found.append(str(path))
    return found


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    here = Path(__file__).parent / "migrations"
    cfg.set_main_option("script_location", str(here))
    cfg.set_main_option("version_locations", " ".join(version_locations()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)


def heads(engine: Engine) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def current(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return {r[0] for r in rows}


def is_up_to_date(engine: Engine) -> bool:
    """True when every head is applied: recorded, or an ancestor or dependency of one that is.

    Alembic records only the newest revision of each line, so a module revision that merely
    ``depends_on`` core leaves core's revision out of the version table although it is applied.
    """
    script = ScriptDirectory.from_config(alembic_config(engine))
    applied: set[str] = set()
    todo = list(current(engine))
    while todo:
        rev = script.get_revision(todo.pop())
        if rev is None or rev.revision in applied:
            continue
        applied.add(rev.revision)
        for parent in (rev.down_revision, rev.dependencies):
            if isinstance(parent, str):
                todo.append(parent)
            elif parent:
                todo.extend(parent)
    return set(script.get_heads()) <= applied
