"""handler members: the users who act for a handler

Revision ID: community_ops_0002_i14
Revises: community_ops_0001
Create Date: 2026-12-06 02:55:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rescity.core.storage.db

# revision identifiers, used by Alembic.
revision: str = 'community_ops_0002_i14'
down_revision: str | Sequence[str] | None = 'community_ops_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'community_ops_handler_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('handler_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('added_at', rescity.core.storage.db.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['handler_id'], ['community_ops_handler.id'],
                                name=op.f('fk_community_ops_handler_member_handler_id_community_ops_handler'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'],
                                name=op.f('fk_community_ops_handler_member_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_community_ops_handler_member')),
        sa.UniqueConstraint('handler_id', 'user_id',
                            name=op.f('uq_community_ops_handler_member_handler_id')),
    )
    with op.batch_alter_table('community_ops_handler_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_ops_handler_member_handler_id'),
                              ['handler_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_ops_handler_member_user_id'),
                              ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('community_ops_handler_member')
