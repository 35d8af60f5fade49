from sqlalchemy import Engine, inspect

import rescity.models  # noqa: F401
from rescity.core.storage import migrate
from rescity.core.storage.db import Base, make_engine


def test_upgrade_creates_every_table_and_downgrade_removes_them(db_url: str) -> None:
    engine: Engine = make_engine(db_url)
    migrate.upgrade(engine)
    assert migrate.is_up_to_date(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables

    migrate.downgrade(engine, "base")
    left = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert left == set()
    assert migrate.current(engine) == set()

    migrate.upgrade(engine)  # and back up again: migrations are repeatable
    assert migrate.is_up_to_date(engine)
    engine.dispose()


def test_migrations_match_the_orm_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(db_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_a_partly_upgraded_database_is_not_up_to_date(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine, "core_0001")
    assert migrate.current(engine) == {"core_0001"}
    assert not migrate.is_up_to_date(engine)
    migrate.upgrade(engine)
    assert migrate.is_up_to_date(engine)
    engine.dispose()
