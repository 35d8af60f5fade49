"""search index (PostgreSQL): keep the short filter columns uncompressed and in the row

Every search reads `city_key`, `country`, `status` and `tag_text` of each of its matches
(thousands for a broad query). With the default storage (EXTENDED) PostgreSQL moved the
80-byte `tag_text` out of line (TOAST) in rows whose ranking tsvector made them large, and
reading it then cost a TOAST index lookup per match: two thirds of the server's time for a
query without ranking (bench/knowledge_search.py, docs/knowledge/benchmark.md). STORAGE
PLAIN keeps these short values in the row, uncompressed; existing rows are rewritten here
so that they take it at once. SQLite has nothing to change.

Revision ID: knowledge_0005_i17_plain_facets
Revises: knowledge_0004_i17_rank_inline
Create Date: 2026-12-06 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "knowledge_0005_i17_plain_facets"
down_revision: str | Sequence[str] | None = "knowledge_0004_i17_rank_inline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("city_key", "country", "status", "tag_text")


def _index_exists() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bind.execute(sa.text("SELECT to_regclass('kb_search_pg')")).scalar() is not None


def upgrade() -> None:
    if not _index_exists():
        return  # created with this storage on first use (SearchIndex.ensure)
    for name in _COLUMNS:
        op.execute(f"ALTER TABLE kb_search_pg ALTER COLUMN {name} SET STORAGE PLAIN")
    # new values are stored with the new storage; unchanged ones would keep their TOAST
    # pointers, hence the no-op concatenation
    op.execute(
        "UPDATE kb_search_pg SET city_key = city_key || '', country = country || '',"
        " status = status || '', tag_text = tag_text || ''"
    )
    # the index's version is replaced by a deferred trigger (search_index, #17): fire it now,
    # since a later migration in this transaction cannot ALTER a table with pending events
    op.execute("SET CONSTRAINTS ALL IMMEDIATE")


def downgrade() -> None:
    if not _index_exists():
        return
    for name in _COLUMNS:
        op.execute(f"ALTER TABLE kb_search_pg ALTER COLUMN {name} SET STORAGE EXTENDED")
