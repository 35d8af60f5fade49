"""outbreak: case records, clusters, DP releases, the privacy-budget ledger

Revision ID: community_ops_0004_i16_outbreak
Revises: community_ops_0003_i16_tracing
Create Date: 2026-12-06 05:40:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rescity.core.storage.db

# revision identifiers, used by Alembic.
revision: str = 'community_ops_0004_i16_outbreak'
down_revision: str | Sequence[str] | None = 'community_ops_0003_i16_tracing'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = rescity.core.storage.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        'outbreak_cluster',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('place_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=400), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['place_id'], ['place.id'],
                                name=op.f('fk_outbreak_cluster_place_id_place')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbreak_cluster')),
        sa.UniqueConstraint('scope', 'name', name=op.f('uq_outbreak_cluster_scope')),
    )
    with op.batch_alter_table('outbreak_cluster', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbreak_cluster_scope'), ['scope'], unique=False)

    op.create_table(
        'outbreak_case',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('place_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=400), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=True),
        sa.Column('building', sa.String(length=40), nullable=False),
        sa.Column('address_sealed', sa.String(length=600), nullable=True),
        sa.Column('location_sealed', sa.String(length=300), nullable=True),
        sa.Column('note_sealed', sa.String(length=3000), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('onset_date', sa.Date(), nullable=True),
        sa.Column('confirmed_date', sa.Date(), nullable=True),
        sa.Column('recovered_date', sa.Date(), nullable=True),
        sa.Column('source_case_id', sa.Integer(), nullable=True),
        sa.Column('cluster_id', sa.Integer(), nullable=True),
        sa.Column('exposure_date', sa.Date(), nullable=True),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('created_at', UTC(timezone=True), nullable=False),
        sa.Column('updated_at', UTC(timezone=True), nullable=False),
        sa.Column('closed_at', UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['place_id'], ['place.id'],
                                name=op.f('fk_outbreak_case_place_id_place')),
        sa.ForeignKeyConstraint(['resident_id'], ['community_resident.id'],
                                name=op.f('fk_outbreak_case_resident_id_community_resident'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['source_case_id'], ['outbreak_case.id'],
                                name=op.f('fk_outbreak_case_source_case_id_outbreak_case'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['cluster_id'], ['outbreak_cluster.id'],
                                name=op.f('fk_outbreak_case_cluster_id_outbreak_cluster'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbreak_case')),
    )
    with op.batch_alter_table('outbreak_case', schema=None) as batch_op:
        batch_op.create_index('ix_outbreak_case_scope_status', ['scope', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbreak_case_resident_id'), ['resident_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_outbreak_case_confirmed_date'), ['confirmed_date'],
                              unique=False)

    op.create_table(
        'outbreak_release',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('place_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=400), nullable=False),
        sa.Column('granularity', sa.String(length=8), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('epsilon', sa.Double(), nullable=False),
        sa.Column('scale', sa.Double(), nullable=False),
        sa.Column('k', sa.Integer(), nullable=False),
        sa.Column('cells', sa.JSON(), nullable=False),
        sa.Column('released_at', UTC(timezone=True), nullable=False),
        sa.Column('released_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['place_id'], ['place.id'],
                                name=op.f('fk_outbreak_release_place_id_place')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbreak_release')),
    )
    with op.batch_alter_table('outbreak_release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbreak_release_scope'), ['scope'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbreak_release_released_at'), ['released_at'],
                              unique=False)

    op.create_table(
        'outbreak_budget_lock',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('releases', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_outbreak_budget_lock')),
    )
    op.bulk_insert(sa.table('outbreak_budget_lock', sa.column('name', sa.String),
                            sa.column('releases', sa.BigInteger)),
                   [{'name': 'cases', 'releases': 0}])

    op.create_table(
        'outbreak_ledger',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('budget', sa.String(length=32), nullable=False),
        sa.Column('scope', sa.String(length=400), nullable=False),
        sa.Column('epsilon_micro', sa.BigInteger(), nullable=False),
        sa.Column('release_id', sa.Integer(), nullable=True),
        sa.Column('at', UTC(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['release_id'], ['outbreak_release.id'],
                                name=op.f('fk_outbreak_ledger_release_id_outbreak_release'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbreak_ledger')),
    )
    with op.batch_alter_table('outbreak_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbreak_ledger_scope'), ['scope'], unique=False)

    op.create_table(
        'outbreak_noised_cell',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('exact', sa.BigInteger(), nullable=False),
        sa.Column('noised', sa.BigInteger(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbreak_noised_cell')),
        sa.UniqueConstraint('key', 'exact', name=op.f('uq_outbreak_noised_cell_key')),
    )
    with op.batch_alter_table('outbreak_noised_cell', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbreak_noised_cell_day'), ['day'], unique=False)


def downgrade() -> None:
    op.drop_table('outbreak_noised_cell')
    op.drop_table('outbreak_ledger')
    op.drop_table('outbreak_budget_lock')
    op.drop_table('outbreak_release')
    op.drop_table('outbreak_case')
    op.drop_table('outbreak_cluster')
