"""provenance, case sheet, pending edits: page/section of an initiative in its source, the
rest of the case-sheet fields, an owner's edit awaiting review; no server paths in sources

Revision ID: knowledge_0003_i17_provenance
Revises: knowledge_0002_i18_cooperation
Create Date: 2026-12-06 03:00:00

"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "knowledge_0003_i17_provenance"
down_revision: str | Sequence[str] | None = "knowledge_0002_i18_cooperation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# tables whose `source`/`source_document` older importers filled with absolute paths
_SOURCES = (
    ("kb_initiative", "source_document"),
    ("kb_city_profile", "source"),
    ("kb_pairing", "source"),
    ("kb_event", "source"),
)


def upgrade() -> None:
    with op.batch_alter_table("kb_initiative", schema=None) as b:
        b.add_column(sa.Column("source_page", sa.Integer(), nullable=True))
        b.add_column(
            sa.Column("source_section", sa.String(length=300), nullable=False, server_default="")
        )
        b.add_column(sa.Column("sheet", sa.JSON(), nullable=False, server_default="{}"))
        b.add_column(sa.Column("pending_content", sa.JSON(), nullable=True))
        b.add_column(sa.Column("pending_by", sa.Integer(), nullable=True))
    bind = op.get_bind()
    names = set(sa.inspect(bind).get_table_names())
    for table, col in _SOURCES:
        if table not in names:
            continue
        t = sa.table(table, sa.column("id", sa.Integer), sa.column(col, sa.String))
        rows = bind.execute(sa.select(t.c.id, t.c[col]).where(t.c[col].like("%/%"))).all()
        for row_id, value in rows:
            bind.execute(
                t.update().where(t.c.id == row_id).values({col: re.sub(r"^.*[\\/]", "", value)})
            )


def downgrade() -> None:
    with op.batch_alter_table("kb_initiative", schema=None) as b:
        b.drop_column("pending_by")
        b.drop_column("pending_content")
        b.drop_column("sheet")
        b.drop_column("source_section")
        b.drop_column("source_page")
