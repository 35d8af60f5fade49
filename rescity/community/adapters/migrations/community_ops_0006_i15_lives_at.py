"""a household member may live at another dwelling (a parent in another grid)

Revision ID: community_ops_0006_i15_lives_at
Revises: community_ops_0005_i16
Create Date: 2026-12-06 08:40:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'community_ops_0006_i15_lives_at'
down_revision: str | Sequence[str] | None = 'community_ops_0006_i15_photos'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('community_resident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dwelling_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f('fk_community_resident_dwelling_id_community_dwelling'),
            'community_dwelling', ['dwelling_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('community_resident', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_community_resident_dwelling_id_community_dwelling'),
                                 type_='foreignkey')
        batch_op.drop_column('dwelling_id')
