"""Export of the cooperation tables (programmes, pairings, events, action plans) as rows.

Rows are built from the mapped columns themselves, so a column added later is exported
without touching this module; ids of related cities and programmes are replaced by their
keys, sources by file names, and columns that hold people's contact details are never
exported.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from rescity.knowledge.adapters.orm import ActionPlan, City, Event, Pairing, Programme
from rescity.knowledge.domain.provenance import document_name

TABLES: dict[str, type[Any]] = {
    "programmes": Programme,
    "pairings": Pairing,
    "events": Event,
    "plans": ActionPlan,
}
_PRIVATE = ("contact", "email", "phone", "password", "author_id", "owner_id", "user_id")


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def table_rows(session: Session, name: str) -> list[dict[str, Any]]:
    """Every row of one cooperation table as a plain dict (keys instead of foreign ids)."""
    model = TABLES[name]
    cities = {c.id: c.key for c in session.scalars(select(City))}
    programmes = {p.id: p.key for p in session.scalars(select(Programme))}
    columns = [c.key for c in inspect(model).column_attrs]
    out = []
    for row in session.scalars(select(model).order_by(model.id)):
        data: dict[str, Any] = {}
        for col in columns:
            if any(part in col for part in _PRIVATE):
                continue
            value = getattr(row, col)
            if col == "source":
                value = document_name(value)
            elif col.endswith("city_id") or col in ("city_a_id", "city_b_id"):
                col, value = col.removesuffix("_id"), cities.get(value, "")
            elif col == "programme_id":
                col, value = "programme", programmes.get(value, "")
            data[col] = _value(value)
        if name == "plans":
            data["milestones"] = [
                {"title": m.title, "due": _value(m.due), "status": m.status}
                for m in row.milestones
            ]
        out.append(data)
    return out
