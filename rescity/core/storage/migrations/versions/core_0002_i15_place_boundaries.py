"""place boundaries: GeoJSON text and a bounding box per place (no PostGIS needed)

Revision ID: core_0002_i15_place_boundaries
Revises: core_0001
Create Date: 2026-12-06 05:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0002_i15_place_boundaries"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOX = ("min_lon", "min_lat", "max_lon", "max_lat")


def upgrade() -> None:
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.add_column(sa.Column("boundary", sa.Text(), nullable=True))
        for name in BOX:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
        # The point-in-box pre-filter of `locate` reads these two first.
        batch_op.create_index("ix_place_box", ["min_lon", "max_lon"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.drop_index("ix_place_box")
        for name in reversed(BOX):
            batch_op.drop_column(name)
        batch_op.drop_column("boundary")
