"""handler members: a member may supervise the handler (escalations reach them)

Revision ID: community_ops_0007_i15_superv
Revises: community_ops_0006_i15_lives_at
Create Date: 2026-12-06 08:45:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'community_ops_0007_i15_superv'
down_revision: str | Sequence[str] | None = 'community_ops_0006_i15_lives_at'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('community_ops_handler_member') as batch:
        batch.add_column(sa.Column('supervises', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('community_ops_handler_member') as batch:
        batch.drop_column('supervises')
