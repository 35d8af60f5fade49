"""Alerts and the per-place alert rules: the tables, and the statements the lean submission
path uses to find the rules in force, the grid worker to route to, and to insert an alert."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from rescity.community.shared.adapters import SCOPE
from rescity.core.accounts import RoleGrant
from rescity.core.storage.db import Base, UTCDateTime, utcnow
from rescity.core.storage.flows import All, Flow, Scalar, insert_all


class Alert(Base):
    """An alert from any source (check-in, gate, sensor, work order) with its lifecycle."""

    __tablename__ = "community_alert"
    __table_args__ = (Index("ix_community_alert_scope_status", "scope", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(SCOPE))
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16), default="new")
    source: Mapped[str] = mapped_column(String(20))  # "checkin", "gate", "sweep", "sensor", …
    source_ref: Mapped[str] = mapped_column(String(100), default="")
    subject_type: Mapped[str] = mapped_column(String(30), default="")
    subject_id: Mapped[int | None] = mapped_column()
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[int | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column()
    resolution: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class AlertRule(Base):
    """A community's override of the default rule values (``alert_rules.toml``)."""

    __tablename__ = "community_alert_rule"
    __table_args__ = (UniqueConstraint("place_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Core tables, and statements built once: building a statement and its cache key, and the
# ORM's handling of ORM-enabled statements, cost more here than running them.
_ALERT: Table = Alert.__table__  # type: ignore[assignment]
_GRANT: Table = RoleGrant.__table__  # type: ignore[assignment]
_RULE: Table = AlertRule.__table__  # type: ignore[assignment]


# Rows set at ``scope`` or at any place above it: their scope is a prefix of ``scope``
# (scopes are paths of numeric ids, ``/1/2/3/``, so no LIKE wildcard can occur in them).
_RULES_ABOVE = select(_RULE.c.scope, _RULE.c.kind, _RULE.c["values"]).where(
    bindparam("scope").startswith(_RULE.c.scope)
)


_GRANTS_ABOVE = select(_GRANT.c.user_id, _GRANT.c.scope, _GRANT.c.id).where(
    _GRANT.c.role == bindparam("role"), bindparam("scope").startswith(_GRANT.c.scope)
)


_ALERT_BY_DEDUP = select(_ALERT.c.id).where(_ALERT.c.dedup_key == bindparam("dedup_key"))


_INSERT_ALERT = insert_all(_ALERT, returning_id=True)


def rules_above(scope: str) -> Flow[list[tuple[str, str, dict[str, Any]]]]:
    """(scope, kind, values) of the alert-rule rows set at ``scope`` or above it."""
    rows: list[tuple[str, str, dict[str, Any]]] = yield All(_RULES_ABOVE, {"scope": scope})
    return rows


def grants_above(role: str, scope: str) -> Flow[list[tuple[int, str, int]]]:
    """(user id, scope, grant id) of the grants of ``role`` at ``scope`` or above it."""
    rows: list[tuple[int, str, int]] = yield All(_GRANTS_ABOVE, {"role": role, "scope": scope})
    return rows


def alert_by_dedup_key(dedup_key: str) -> Flow[int | None]:
    found: int | None = yield Scalar(_ALERT_BY_DEDUP, {"dedup_key": dedup_key})
    return found


def insert_alert(values: dict[str, Any]) -> Flow[int]:
    """Insert one alert row (every column given); returns its id."""
    return int((yield Scalar(_INSERT_ALERT, values)))
