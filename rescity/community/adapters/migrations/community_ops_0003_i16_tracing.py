"""presence tracing: venues and published traces (no visits)

Revision ID: community_ops_0003_i16_tracing
Revises: community_ops_0002_i14
Create Date: 2026-12-06 05:40:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rescity.core.storage.db

# revision identifiers, used by Alembic.
revision: str = 'community_ops_0003_i16_tracing'
down_revision: str | Sequence[str] | None = 'community_ops_0002_i14'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'community_tracing_venue',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=400), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('key_sealed', sa.String(length=300), nullable=False),
        sa.Column('created_at', rescity.core.storage.db.UTCDateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_community_tracing_venue')),
    )
    with op.batch_alter_table('community_tracing_venue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_tracing_venue_scope'), ['scope'],
                              unique=False)
    op.create_table(
        'community_tracing_trace',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('venue_id', sa.Integer(), nullable=False),
        sa.Column('window_start', rescity.core.storage.db.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('window_end', rescity.core.storage.db.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('advice', sa.Text(), nullable=False),
        sa.Column('published_at', rescity.core.storage.db.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(['venue_id'], ['community_tracing_venue.id'],
                                name=op.f('fk_community_tracing_trace_venue_id_community_tracing_venue'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_community_tracing_trace')),
    )
    with op.batch_alter_table('community_tracing_trace', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_tracing_trace_venue_id'), ['venue_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_community_tracing_trace_published_at'),
                              ['published_at'], unique=False)
    op.create_table(
        'community_tracing_release',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('trace_id', sa.Integer(), nullable=False),
        sa.Column('ident', sa.String(length=64), nullable=False),
        sa.Column('slot_key', sa.String(length=64), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['trace_id'], ['community_tracing_trace.id'],
                                name=op.f('fk_community_tracing_release_trace_id_community_tracing_trace'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_community_tracing_release')),
    )
    with op.batch_alter_table('community_tracing_release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_tracing_release_trace_id'), ['trace_id'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('community_tracing_release')
    op.drop_table('community_tracing_trace')
    op.drop_table('community_tracing_venue')
