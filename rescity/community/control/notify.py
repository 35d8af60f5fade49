"""Tell the grid worker responsible for a place: the one call that control status changes
and supplies (low stock) make. The alert it raises also puts a notification for that grid
worker in the outbox, in the same transaction (see :mod:`rescity.community.shared.notices`);
a retried change finds the alert by its key and notifies nobody twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.control._community import Alert, Severity, raise_alert
from rescity.core.storage.flows import DuplicateRow


def notify_grid_worker(
    session: Session, *, kind: str, scope: str, now: datetime, source: str,
    detail: dict[str, Any], dedup_key: str | None = None, severity: str = "medium",
    source_ref: str = "",
) -> int:
    """An alert of ``kind`` at ``scope``, assigned to the grid worker granted nearest above
    it; its id. Never commits (the caller's transaction carries it). ``detail`` holds no
    personal data."""
    try:
        # A savepoint: two transactions raising the same key at once (two rounds leaving the
        # same item low) conflict on the unique key; the later one then finds the earlier's.
        with session.begin_nested():
            return raise_alert(session, kind=kind, scope=scope, severity=Severity(severity),
                               source=source, now=now, source_ref=source_ref,
                               dedup_key=dedup_key, detail=detail).id
    except DuplicateRow:
        found = session.scalar(select(Alert.id).where(Alert.dedup_key == dedup_key))
        if found is None:
            raise
        return found
