"""Tell the grid worker responsible for a place: the one call that control status changes
and supplies (low stock) make, so that a durable notification outbox can replace the alert
row later without touching the callers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from rescity.community.control._community import raise_alert
from rescity.community.domain.alerts import Severity


def notify_grid_worker(
    session: Session, *, kind: str, scope: str, now: datetime, source: str,
    detail: dict[str, Any], dedup_key: str | None = None, severity: str = "medium",
    source_ref: str = "",
) -> int:
    """An alert of ``kind`` at ``scope``, assigned to the grid worker granted nearest above
    it; its id. Never commits (the caller's transaction carries it). ``detail`` holds no
    personal data."""
    alert = raise_alert(session, kind=kind, scope=scope, severity=Severity(severity),
                        source=source, now=now, source_ref=source_ref, dedup_key=dedup_key,
                        detail=detail)
    return alert.id
