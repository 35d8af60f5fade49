"""issue 16: building control status, and supplies (stores, items, lots, requests, rounds)

Revision ID: community_ops_0005_i16
Revises: community_ops_0004_i16_outbreak
Create Date: 2026-12-06 05:23:50

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rescity.core.storage.db

# revision identifiers, used by Alembic.
revision: str = 'community_ops_0005_i16'
down_revision: str | Sequence[str] | None = 'community_ops_0004_i16_outbreak'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('community_supply_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('low_stock', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_supply_item')),
    sa.UniqueConstraint('code', name=op.f('uq_community_supply_item_code'))
    )
    op.create_table('community_control_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('building', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('starts_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('set_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lifted_by', sa.Integer(), nullable=True),
    sa.Column('lifted_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], name=op.f('fk_community_control_status_place_id_place')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_control_status'))
    )
    with op.batch_alter_table('community_control_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_control_status_scope'), ['scope'], unique=False)
        batch_op.create_index('ix_community_control_status_target', ['place_id', 'building'], unique=False)

    op.create_table('community_control_exit_permit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('valid_from', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('issued_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['community_resident.id'], name=op.f('fk_community_control_exit_permit_resident_id_community_resident'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_control_exit_permit'))
    )
    with op.batch_alter_table('community_control_exit_permit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_control_exit_permit_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_control_exit_permit_scope'), ['scope'], unique=False)

    op.create_table('community_supply_store',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], name=op.f('fk_community_supply_store_place_id_place')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_supply_store')),
    sa.UniqueConstraint('code', name=op.f('uq_community_supply_store_code'))
    )
    with op.batch_alter_table('community_supply_store', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_supply_store_scope'), ['scope'], unique=False)

    op.create_table('community_supply_lot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('lot_code', sa.String(length=64), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('received_qty', sa.Integer(), nullable=False),
    sa.Column('received_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('qty >= 0', name=op.f('ck_community_supply_lot_qty_not_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['community_supply_item.id'], name=op.f('fk_community_supply_lot_item_id_community_supply_item')),
    sa.ForeignKeyConstraint(['store_id'], ['community_supply_store.id'], name=op.f('fk_community_supply_lot_store_id_community_supply_store')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_supply_lot'))
    )
    with op.batch_alter_table('community_supply_lot', schema=None) as batch_op:
        batch_op.create_index('ix_community_supply_lot_store_item', ['store_id', 'item_id'], unique=False)

    op.create_table('community_supply_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('building', sa.String(length=40), nullable=False),
    sa.Column('control_status', sa.String(length=30), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('package', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], name=op.f('fk_community_supply_round_place_id_place')),
    sa.ForeignKeyConstraint(['store_id'], ['community_supply_store.id'], name=op.f('fk_community_supply_round_store_id_community_supply_store')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_supply_round'))
    )
    with op.batch_alter_table('community_supply_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_supply_round_scope'), ['scope'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_supply_round_store_id'), ['store_id'], unique=False)

    op.create_table('community_supply_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('delivered_by', sa.Integer(), nullable=True),
    sa.Column('delivered_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_via', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['community_household.id'], name=op.f('fk_community_supply_delivery_household_id_community_household')),
    sa.ForeignKeyConstraint(['round_id'], ['community_supply_round.id'], name=op.f('fk_community_supply_delivery_round_id_community_supply_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_supply_delivery'))
    )
    with op.batch_alter_table('community_supply_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_supply_delivery_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_supply_delivery_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_supply_delivery_scope'), ['scope'], unique=False)

    op.create_table('community_supply_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=100), nullable=False),
    sa.Column('by', sa.Integer(), nullable=True),
    sa.Column('at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('qty > 0', name=op.f('ck_community_supply_movement_qty_positive')),
    sa.ForeignKeyConstraint(['item_id'], ['community_supply_item.id'], name=op.f('fk_community_supply_movement_item_id_community_supply_item')),
    sa.ForeignKeyConstraint(['lot_id'], ['community_supply_lot.id'], name=op.f('fk_community_supply_movement_lot_id_community_supply_lot')),
    sa.ForeignKeyConstraint(['store_id'], ['community_supply_store.id'], name=op.f('fk_community_supply_movement_store_id_community_supply_store')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_supply_movement'))
    )
    with op.batch_alter_table('community_supply_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_supply_movement_store_id'), ['store_id'], unique=False)

    op.create_table('community_supply_delivery_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.CheckConstraint('qty > 0', name=op.f('ck_community_supply_delivery_line_qty_positive')),
    sa.ForeignKeyConstraint(['delivery_id'], ['community_supply_delivery.id'], name=op.f('fk_community_supply_delivery_line_delivery_id_community_supply_delivery'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['community_supply_item.id'], name=op.f('fk_community_supply_delivery_line_item_id_community_supply_item')),
    sa.ForeignKeyConstraint(['lot_id'], ['community_supply_lot.id'], name=op.f('fk_community_supply_delivery_line_lot_id_community_supply_lot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_supply_delivery_line'))
    )
    with op.batch_alter_table('community_supply_delivery_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_supply_delivery_line_delivery_id'), ['delivery_id'], unique=False)

    op.create_table('community_supply_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=400), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', rescity.core.storage.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('qty > 0', name=op.f('ck_community_supply_request_qty_positive')),
    sa.ForeignKeyConstraint(['delivery_id'], ['community_supply_delivery.id'], name=op.f('fk_community_supply_request_delivery_id_community_supply_delivery')),
    sa.ForeignKeyConstraint(['household_id'], ['community_household.id'], name=op.f('fk_community_supply_request_household_id_community_household'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['community_supply_item.id'], name=op.f('fk_community_supply_request_item_id_community_supply_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_supply_request'))
    )
    with op.batch_alter_table('community_supply_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_supply_request_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_supply_request_scope'), ['scope'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('community_supply_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_supply_request_scope'))
        batch_op.drop_index(batch_op.f('ix_community_supply_request_household_id'))

    op.drop_table('community_supply_request')
    with op.batch_alter_table('community_supply_delivery_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_supply_delivery_line_delivery_id'))

    op.drop_table('community_supply_delivery_line')
    with op.batch_alter_table('community_supply_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_supply_movement_store_id'))

    op.drop_table('community_supply_movement')
    with op.batch_alter_table('community_supply_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_supply_delivery_scope'))
        batch_op.drop_index(batch_op.f('ix_community_supply_delivery_round_id'))
        batch_op.drop_index(batch_op.f('ix_community_supply_delivery_household_id'))

    op.drop_table('community_supply_delivery')
    with op.batch_alter_table('community_supply_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_supply_round_store_id'))
        batch_op.drop_index(batch_op.f('ix_community_supply_round_scope'))

    op.drop_table('community_supply_round')
    with op.batch_alter_table('community_supply_lot', schema=None) as batch_op:
        batch_op.drop_index('ix_community_supply_lot_store_item')

    op.drop_table('community_supply_lot')
    with op.batch_alter_table('community_supply_store', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_supply_store_scope'))

    op.drop_table('community_supply_store')
    with op.batch_alter_table('community_control_status', schema=None) as batch_op:
        batch_op.drop_index('ix_community_control_status_target')
        batch_op.drop_index(batch_op.f('ix_community_control_status_scope'))

    op.drop_table('community_control_status')
    with op.batch_alter_table('community_control_exit_permit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_community_control_exit_permit_scope'))
        batch_op.drop_index(batch_op.f('ix_community_control_exit_permit_resident_id'))

    op.drop_table('community_control_exit_permit')
    op.drop_table('community_supply_item')
