"""Alembic environment: the engine comes from rescity, never from an ini file."""

from __future__ import annotations

from alembic import context

import rescity.models  # noqa: F401 - registers every module's tables on Base.metadata
from rescity.core.storage.db import Base

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
