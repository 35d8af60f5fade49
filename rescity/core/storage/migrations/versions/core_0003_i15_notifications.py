"""notifications: outbox, deliveries, preferences

Revision ID: core_0003_i15_notifications
Revises: core_0002_i15_place_boundaries
Create Date: 2026-12-06 05:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rescity.core.storage.db import UTCDateTime

revision: str = "core_0003_i15_notifications"
down_revision: str | Sequence[str] | None = "core_0002_i15_place_boundaries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("link", sa.String(length=400), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["recipient_user_id"], ["app_user.id"],
                                name=op.f("fk_notification_recipient_user_id_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("recipient_user_id", "dedupe_key", name="uq_notification_dedupe"),
    )
    op.create_index("ix_notification_recipient", "notification", ["recipient_user_id", "id"])
    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["notification_id"], ["notification.id"],
                                name=op.f("fk_notification_delivery_notification_id_notification"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery")),
        sa.UniqueConstraint("notification_id", "channel",
                            name="uq_notification_delivery_channel"),
    )
    op.create_index("ix_notification_delivery_due", "notification_delivery",
                    ["status", "next_attempt_at"])
    op.create_index(op.f("ix_notification_delivery_notification_id"), "notification_delivery",
                    ["notification_id"])
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_enabled", sa.Boolean(), nullable=False),
        sa.Column("webhooks", sa.JSON(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_notification_preference_user_id_app_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preference")),
    )


def downgrade() -> None:
    op.drop_table("notification_preference")
    op.drop_index(op.f("ix_notification_delivery_notification_id"),
                  table_name="notification_delivery")
    op.drop_index("ix_notification_delivery_due", table_name="notification_delivery")
    op.drop_table("notification_delivery")
    op.drop_index("ix_notification_recipient", table_name="notification")
    op.drop_table("notification")
