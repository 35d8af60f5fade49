"""Tables of the residents capability: invitations and deletion requests.

The dwelling, household, resident and care-flag rows, which every capability scopes by,
are in :mod:`rescity.community.shared.adapters`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from rescity.community.shared.adapters import SCOPE

# The user and place tables that foreign keys here refer to: registered with the metadata
# wherever these models are, not only where something else imported them first.
from rescity.core import accounts as _accounts  # noqa: F401
from rescity.core.storage.db import Base, UTCDateTime, utcnow


class Invitation(Base):
    """A code (and QR) with which people register themselves in a community or grid."""

    __tablename__ = "community_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_by: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int] = mapped_column(default=200)
    uses: Mapped[int] = mapped_column(default=0)


class DeletionRequest(Base):
    __tablename__ = "community_deletion_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("community_resident.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(SCOPE), index=True)
    requested_by: Mapped[int | None] = mapped_column()
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="pending")
    handled_by: Mapped[int | None] = mapped_column()
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
