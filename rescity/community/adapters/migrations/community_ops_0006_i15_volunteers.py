"""volunteers: weekly shift slots, consent, and a reason for rejection or suspension

Revision ID: community_ops_0006_i15_vol
Revises: community_ops_0005_i16
Create Date: 2026-12-06 08:30:00

The older ``availability`` column (whole hours per day) is copied into ``slots`` and kept,
so a rollback loses nothing; new code reads and writes ``slots`` only.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rescity.core.storage.db

# revision identifiers, used by Alembic.
revision: str = 'community_ops_0006_i15_vol'
down_revision: str | Sequence[str] | None = 'community_ops_0005_i16'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = 'community_ops_volunteer'


def _slots(availability: object) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    if not isinstance(availability, dict):
        return out
    for day, ranges in availability.items():
        for pair in ranges if isinstance(ranges, list) else []:
            if isinstance(pair, list) and len(pair) == 2:
                start, end = int(pair[0]), int(pair[1])
                out.append({"day": str(day), "start": f"{start:02d}:00", "end": f"{end:02d}:00"})
    return out


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as b:
        b.add_column(sa.Column('slots', sa.JSON(), nullable=False, server_default='[]'))
        b.add_column(sa.Column('vetting_reason', sa.String(length=300), nullable=False,
                               server_default=''))
        b.add_column(sa.Column('consent_at', rescity.core.storage.db.UTCDateTime(timezone=True),
                               nullable=True))
        b.add_column(sa.Column('consent_version', sa.String(length=20), nullable=False,
                               server_default=''))
    vol = sa.table(TABLE, sa.column('id', sa.Integer()), sa.column('availability', sa.JSON()),
                   sa.column('slots', sa.JSON()))
    conn = op.get_bind()
    for vid, availability in conn.execute(sa.select(vol.c.id, vol.c.availability)).all():
        slots = _slots(availability)
        if slots:
            conn.execute(vol.update().where(vol.c.id == vid).values(slots=slots))


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as b:
        b.drop_column('consent_version')
        b.drop_column('consent_at')
        b.drop_column('vetting_reason')
        b.drop_column('slots')
