"""cooperation: gazetteer profiles, city editors, action plan template, event dates, gaps

Revision ID: knowledge_0002_i18_cooperation
Revises: knowledge_0001
Create Date: 2026-12-06 02:55:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rescity.core.storage.db

revision: str = "knowledge_0002_i18_cooperation"
down_revision: str | Sequence[str] | None = "knowledge_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kb_city", schema=None) as b:
        b.add_column(sa.Column("level", sa.String(length=30), nullable=False, server_default=""))
        b.add_column(sa.Column("timezone", sa.String(length=64), nullable=False, server_default=""))
        b.add_column(sa.Column("geonames_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("population", sa.Integer(), nullable=True))
        b.add_column(sa.Column("provenance", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "kb_city_editor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["kb_city.id"],
            name=op.f("fk_kb_city_editor_city_id_kb_city"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_kb_city_editor_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_city_editor")),
        sa.UniqueConstraint("city_id", "user_id", name="uq_kb_city_editor"),
    )
    with op.batch_alter_table("kb_city_editor", schema=None) as b:
        b.create_index(b.f("ix_kb_city_editor_city_id"), ["city_id"], unique=False)
        b.create_index(b.f("ix_kb_city_editor_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("kb_action_plan", schema=None) as b:
        b.add_column(
            sa.Column("contact_email", sa.String(length=200), nullable=False, server_default="")
        )
        b.add_column(sa.Column("key_projects", sa.JSON(), nullable=False, server_default="[]"))
        b.add_column(sa.Column("stakeholders", sa.JSON(), nullable=False, server_default="[]"))
        b.add_column(sa.Column("decision_mechanism", sa.Text(), nullable=False, server_default=""))
        b.add_column(sa.Column("initiative_keys", sa.JSON(), nullable=False, server_default="[]"))
        b.add_column(sa.Column("pairing_id", sa.Integer(), nullable=True))
        b.add_column(
            sa.Column(
                "updated_at",
                rescity.core.storage.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )
        b.create_foreign_key(
            b.f("fk_kb_action_plan_pairing_id_kb_pairing"),
            "kb_pairing",
            ["pairing_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("kb_pairing", schema=None) as b:
        for side in ("a", "b"):
            b.add_column(sa.Column(f"confirmed_{side}_by", sa.Integer(), nullable=True))
            b.create_foreign_key(
                f"fk_kb_pairing_confirmed_{side}_by_app_user",
                "app_user",
                [f"confirmed_{side}_by"],
                ["id"],
                ondelete="SET NULL",
            )
    with op.batch_alter_table("kb_milestone", schema=None) as b:
        b.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="planned")
        )
        b.add_column(sa.Column("due", sa.Date(), nullable=True))
    with op.batch_alter_table("kb_event", schema=None) as b:
        b.add_column(sa.Column("end_date", sa.Date(), nullable=True))
        b.add_column(
            sa.Column("date_note", sa.String(length=300), nullable=False, server_default="")
        )
        b.add_column(sa.Column("themes", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("kb_assessment", schema=None) as b:
        b.add_column(sa.Column("area", sa.String(length=300), nullable=False, server_default=""))
        b.add_column(sa.Column("population", sa.Float(), nullable=True))
        b.add_column(sa.Column("missing_items", sa.JSON(), nullable=False, server_default="[]"))
        b.add_column(sa.Column("item_coverage", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("kb_assessment", schema=None) as b:
        for name in ("item_coverage", "missing_items", "population", "area"):
            b.drop_column(name)
    with op.batch_alter_table("kb_event", schema=None) as b:
        for name in ("themes", "date_note", "end_date"):
            b.drop_column(name)
    with op.batch_alter_table("kb_milestone", schema=None) as b:
        for name in ("due", "status"):
            b.drop_column(name)
    with op.batch_alter_table("kb_pairing", schema=None) as b:
        for side in ("a", "b"):
            b.drop_constraint(f"fk_kb_pairing_confirmed_{side}_by_app_user", type_="foreignkey")
            b.drop_column(f"confirmed_{side}_by")
    with op.batch_alter_table("kb_action_plan", schema=None) as b:
        b.drop_constraint(b.f("fk_kb_action_plan_pairing_id_kb_pairing"), type_="foreignkey")
        for name in (
            "updated_at",
            "pairing_id",
            "initiative_keys",
            "decision_mechanism",
            "stakeholders",
            "key_projects",
            "contact_email",
        ):
            b.drop_column(name)
    op.drop_table("kb_city_editor")
    with op.batch_alter_table("kb_city", schema=None) as b:
        for name in ("provenance", "population", "geonames_id", "timezone", "level"):
            b.drop_column(name)
