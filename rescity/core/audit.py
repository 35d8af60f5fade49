"""Append-only audit log of writes and of reads of personal data.

Rows are added in the same session (and so the same transaction) as the change they record.
The table refuses UPDATE and DELETE at the database level (triggers made by the core
migration), and the ORM refuses them too, so no code path of the application can rewrite
history. Retention of audit rows is a database administrator's job, outside the app.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rescity.core.security.policy import Principal
from rescity.core.storage.db import Base, UTCDateTime, utcnow
from rescity.core.storage.flows import Flow, Run, insert_all


class AuditKind(StrEnum):
    WRITE = "write"
    READ = "read"  # a read of personal data
    AUTH = "auth"  # sign-in, sign-out, refused sign-in


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64), default="system")
    kind: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(100), index=True)
    record_type: Mapped[str] = mapped_column(String(64), default="")
    record_id: Mapped[str] = mapped_column(String(64), default="")
    scope: Mapped[str] = mapped_column(String(400), default="", index=True)
    purpose: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditImmutable(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
def _no_update(*_args: object) -> None:
    raise AuditImmutable("audit rows cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _no_delete(*_args: object) -> None:
    raise AuditImmutable("audit rows cannot be deleted")


def _row(
    principal: Principal | None, kind: AuditKind, action: str, record_type: str,
    record_id: object, scope: str, purpose: str, detail: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "actor_id": principal.user_id if principal else None,
        "actor": principal.username if principal else "anonymous",
        "kind": str(kind),
        "action": action,
        "record_type": record_type,
        "record_id": str(record_id),
        "scope": scope,
        "purpose": purpose,
        "detail": detail or {},
    }


def record(
    session: Session,
    principal: Principal | None,
    *,
    kind: AuditKind,
    action: str,
    record_type: str = "",
    record_id: object = "",
    scope: str = "",
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(**_row(principal, kind, action, record_type, record_id, scope, purpose,
                              detail))
    session.add(entry)
    return entry


_INSERT = insert_all(AuditEntry.__table__)  # type: ignore[arg-type]


def appended(
    principal: Principal | None,
    *,
    kind: AuditKind,
    action: str,
    record_type: str = "",
    record_id: object = "",
    scope: str = "",
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> Flow[None]:
    """:func:`record` for hot paths, as a flow step: one plain ``INSERT`` (no ORM object,
    no ``RETURNING``) in the flow's transaction."""
    yield Run(_INSERT, {
        "at": utcnow(),
        **_row(principal, kind, action, record_type, record_id, scope, purpose, detail),
    })


def query(
    session: Session,
    *,
    actor: str | None = None,
    kind: AuditKind | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    scope_prefix: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    stmt = select(AuditEntry)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if kind:
        stmt = stmt.where(AuditEntry.kind == str(kind))
    if record_type:
        stmt = stmt.where(AuditEntry.record_type == record_type)
    if record_id:
        stmt = stmt.where(AuditEntry.record_id == record_id)
    if scope_prefix:
        stmt = stmt.where(AuditEntry.scope.startswith(scope_prefix, autoescape=True))
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(min(limit, 10_000))))
