"""case photos: images attached to a reported case (files under the data dir)

Revision ID: community_ops_0006_i15_photos
Revises: community_ops_0005_i16
Create Date: 2026-12-06 08:30:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rescity.core.storage.db

# revision identifiers, used by Alembic.
revision: str = 'community_ops_0006_i15_photos'
down_revision: str | Sequence[str] | None = 'community_ops_0006_i15_vol'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'community_ops_case_photo',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', rescity.core.storage.db.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['community_ops_case.id'],
                                name=op.f('fk_community_ops_case_photo_case_id_community_ops_case'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['app_user.id'],
                                name=op.f('fk_community_ops_case_photo_created_by_app_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_community_ops_case_photo')),
        sa.UniqueConstraint('name', name=op.f('uq_community_ops_case_photo_name')),
    )
    with op.batch_alter_table('community_ops_case_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_ops_case_photo_case_id'),
                              ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_table('community_ops_case_photo')
