"""search index (PostgreSQL): keep the ranking tsvector uncompressed in the row

Every search ranks each of its matches (thousands for a broad query) with `ts_rank` on
`kb_search_pg.rank_tsv`. With STORAGE MAIN the larger values (a third of the benchmark's
rows) were compressed, and decompressing them took about two thirds of the ranking's time
(bench/knowledge_search.py, docs/knowledge/benchmark.md). STORAGE PLAIN never compresses
nor moves a value out of the row, so the value must fit in the page: search_index bounds
rank_tsv (RANK_BYTES) when it writes a row. Existing rows that fit are rewritten here
uncompressed; a larger one (a title of hundreds of characters) keeps its compressed value
until `rescity kb reindex` writes it again, bounded. SQLite has nothing to change.

Revision ID: knowledge_0006_i17_rank_plain
Revises: knowledge_0005_i17_plain_facets
Create Date: 2026-12-06 12:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "knowledge_0006_i17_rank_plain"
down_revision: str | Sequence[str] | None = "knowledge_0005_i17_plain_facets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _index_exists() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bind.execute(sa.text("SELECT to_regclass('kb_search_pg')")).scalar() is not None


def upgrade() -> None:
    if not _index_exists():
        return  # created with this storage on first use (SearchIndex.ensure)
    op.execute("ALTER TABLE kb_search_pg ALTER COLUMN rank_tsv SET STORAGE PLAIN")
    # concatenating an empty tsvector makes a new, uncompressed value (an unchanged one
    # would stay compressed); the size test keeps every rewritten row within its page
    op.execute(
        "UPDATE kb_search_pg SET rank_tsv = rank_tsv || ''::tsvector"
        " WHERE pg_column_size(rank_tsv || ''::tsvector) <= 4100"
    )
    # the index's version is replaced by a deferred trigger (search_index, #17): fire it now,
    # since a later migration in this transaction cannot ALTER a table with pending events
    op.execute("SET CONSTRAINTS ALL IMMEDIATE")


def downgrade() -> None:
    if not _index_exists():
        return
    op.execute("ALTER TABLE kb_search_pg ALTER COLUMN rank_tsv SET STORAGE MAIN")
