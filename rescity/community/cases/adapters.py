"""Tables of work orders and hotline cases (part II of the community module).

A case (工单) belongs to the grid or community where the problem is (``scope``), is handled
by a department or property manager (:class:`Handler`), and keeps an append-only history
(:class:`CaseEvent`) that the monthly scoring reads. Open311 clients file cases with an API
key (:class:`Open311Client`); only the key's SHA-256 is stored.

The reporter's contact details (an Open311 client's first/last name, e-mail, phone; a hotline
caller's number) are sealed with the field cipher, never stored in the clear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from rescity.community.shared.sealed import SealedColumn

# The user and place tables that foreign keys here refer to: registered with the metadata
# wherever these models are, not only where something else imported them first.
from rescity.core import accounts as _accounts  # noqa: F401
from rescity.core.storage.db import Base, UTCDateTime, utcnow

SCOPE = 400


class Handler(Base):
    """A department (城管, 市政, 水务 …) or a property manager (物业) that handles cases."""

    __tablename__ = "community_ops_handler"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # "department" or "property_manager"
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_zh


class HandlerMember(Base):
    """A user who acts for a handler: only they (or a supervisor) accept, refer and resolve
    the cases dispatched to it, since the monthly scores charge the handler. A member who
    ``supervises`` the handler (its head) is also told when one of its cases escalates past
    the first level (see :mod:`rescity.community.cases.sweep`)."""

    __tablename__ = "community_ops_handler_member"
    __table_args__ = (UniqueConstraint("handler_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handler_id: Mapped[int] = mapped_column(
        ForeignKey("community_ops_handler.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    supervises: Mapped[bool] = mapped_column(default=False)


class Open311Client(Base):
    """An application allowed to file cases through the Open311 API, for one area."""

    __tablename__ = "community_ops_open311_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkOrder(Base):
    __tablename__ = "community_ops_case"
    __table_args__ = (
        Index("ix_community_ops_case_scope_status", "scope", "status"),
        Index("ix_community_ops_case_service_created", "service_code", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(SCOPE))
    service_code: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(4000), default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    media: Mapped[list[str]] = mapped_column(JSON, default=list)
    lat: Mapped[float | None] = mapped_column()
    lon: Mapped[float | None] = mapped_column()
    address: Mapped[str] = mapped_column(String(300), default="")
    channel: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(100), default="")
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"), index=True
    )
    reporter_contact_sealed: Mapped[str | None] = mapped_column(String(2000))
    anonymous: Mapped[bool] = mapped_column(default=False)
    public: Mapped[bool] = mapped_column(default=False)
    open311_client_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_ops_open311_client.id", ondelete="SET NULL")
    )
    token: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    handler_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_ops_handler.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_level: Mapped[int] = mapped_column(default=0)
    urge_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    duplicate_of_id: Mapped[int | None] = mapped_column()
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_ops_case.id", ondelete="SET NULL")
    )
    resolution: Mapped[str] = mapped_column(String(2000), default="")
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    rating: Mapped[int | None] = mapped_column()
    rating_comment: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's API


class CasePhoto(Base):
    """A photo attached to a case when it was reported. The image itself lives under the
    data dir (``name`` is random, so it cannot be guessed), re-encoded without any metadata
    (EXIF GPS included); the row says which case it belongs to, so reading it asks the same
    policy as reading the case."""

    __tablename__ = "community_ops_case_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("community_ops_case.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column()
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseEvent(Base):
    """One step in a case's life. Append-only: the ORM and the database refuse changes."""

    __tablename__ = "community_ops_case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("community_ops_case.id"), index=True)
    scope: Mapped[str] = mapped_column(String(SCOPE))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column()
    actor: Mapped[str] = mapped_column(String(100), default="system")
    # The handler in charge when it happened: scoring charges deductions to it.
    handler_id: Mapped[int | None] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(String(2000), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class HistoryImmutable(RuntimeError):
    pass


@event.listens_for(CaseEvent, "before_update")
def _no_update(*_args: object) -> None:
    raise HistoryImmutable("case history cannot be changed")


@event.listens_for(CaseEvent, "before_delete")
def _no_delete(*_args: object) -> None:
    raise HistoryImmutable("case history cannot be deleted")


# Sealed with the data keys: moved to the newest key by `rescity community reseal`.
SEALED = (
    SealedColumn(WorkOrder, "reporter_contact_sealed", "case.reporter_contact"),
)
