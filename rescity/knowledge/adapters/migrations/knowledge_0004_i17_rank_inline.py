"""search index (PostgreSQL): keep the ranking tsvector inline in the row

`kb_search_pg.rank_tsv` (title and the body's lead) is what every search ranks its matches
on; stored out of line (TOAST), each of thousands of matches cost extra page reads. STORAGE
MAIN keeps it in the row. Rows take the new storage when written again (`rescity kb
reindex` rewrites them all); SQLite has nothing to change.

Revision ID: knowledge_0004_i17_rank_inline
Revises: knowledge_0003_i17_provenance
Create Date: 2026-12-06 06:00:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "knowledge_0004_i17_rank_inline"
down_revision: str | Sequence[str] | None = "knowledge_0003_i17_provenance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE IF EXISTS kb_search_pg ALTER COLUMN rank_tsv SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE IF EXISTS kb_search_pg ALTER COLUMN rank_tsv SET STORAGE EXTENDED")
