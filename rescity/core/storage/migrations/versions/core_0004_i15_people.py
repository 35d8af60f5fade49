"""people: a password reset makes the user choose a new password at the next sign-in

Revision ID: core_0004_i15_people
Revises: core_0003_i15_notifications
Create Date: 2026-12-06 08:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0004_i15_people"
down_revision: str | Sequence[str] | None = "core_0003_i15_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("must_change_password")
