"""Retention of case records, as ``personal_fields.toml`` declares it.

Once a record has been closed (the person recovered) for longer than a field's retention
period, that field is erased; the record stays, with its grid, building, status and dates,
which the statistics and the transmission chain still need. The dashboard's stored draws
are deleted after a week: a day's figures are not shown again after that day.
Called by the community's retention job (``rescity community purge``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from rescity.community.outbreak.adapters import NoisedCell, OutbreakCase
from rescity.core.security.personal_data import FieldPolicyTable, load_field_policies

NOISED_CELL_DAYS = 7


@cache
def field_policies() -> FieldPolicyTable:
    text = (resources.files("rescity.community.outbreak")
            .joinpath("personal_fields.toml").read_text("utf-8"))
    return load_field_policies(text, source="rescity/community/outbreak/personal_fields.toml")


def purge(session: Session, now: datetime) -> dict[str, int]:
    """Erase what has outlived its retention period; returns counts by what was done."""
    counts: dict[str, int] = {}
    for policy in field_policies():
        column = policy.field if policy.field == "resident_id" else f"{policy.field}_sealed"
        target = getattr(OutbreakCase, column)
        since = getattr(OutbreakCase, policy.retention_from)
        result = session.execute(update(OutbreakCase).where(
            since.is_not(None), since < now - timedelta(days=policy.retention_days),
            target.is_not(None),
        ).values({column: None}).execution_options(synchronize_session="fetch"))
        counts[f"outbreak case {policy.field} erased"] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    result = session.execute(delete(NoisedCell).where(
        NoisedCell.day < (now - timedelta(days=NOISED_CELL_DAYS)).date()))
    counts["dashboard noise draws deleted"] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts
