"""Initiative content snapshots, versions and readable diffs (difflib)."""

from __future__ import annotations

import difflib
import hashlib
import json
import textwrap
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core.security.policy import Principal
from rescity.core.storage.db import utcnow
from rescity.knowledge.adapters.orm import Initiative, InitiativeTag, InitiativeVersion
from rescity.knowledge.domain.model import LANGS, LIST_FIELDS, TEXT_FIELDS
from rescity.knowledge.domain.taxonomy import kind_of, sort_codes

CONTENT_KEYS = [f"{n}_{lang}" for n in TEXT_FIELDS + LIST_FIELDS for lang in LANGS]


def snapshot(item: Initiative) -> dict[str, Any]:
    """The editable content of an initiative, as stored in versions."""
    data: dict[str, Any] = {}
    for key in CONTENT_KEYS:
        value = getattr(item, key)
        data[key] = list(value or []) if key.startswith("key_measures") else (value or "")
    data["figures"] = [dict(f) for f in item.figures or []]
    data["tags"] = sort_codes([t.code for t in item.tags])
    data["year"] = item.year
    data["city"] = item.city.key if item.city is not None else ""
    if item.sheet:
        data["sheet"] = dict(item.sheet)
    return data


def content_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def apply_content(session: Session, item: Initiative, content: dict[str, Any]) -> None:
    """Set the editable fields (and tags) from a content dict; unknown keys are ignored."""
    for key in CONTENT_KEYS:
        if key in content:
            value = content[key]
            if key.startswith("key_measures"):
                setattr(item, key, [str(v) for v in value or []])
            else:
                setattr(item, key, str(value or ""))
    if "figures" in content:
        item.figures = [dict(f) for f in content["figures"] or []]
    if "year" in content:
        item.year = content["year"]
    if "sheet" in content:
        item.sheet = {str(k): str(v) for k, v in (content["sheet"] or {}).items() if v}
    if "tags" in content:
        set_tags(session, item, list(content["tags"] or []))


def set_tags(session: Session, item: Initiative, codes: list[str]) -> None:
    wanted = set(sort_codes(codes))
    for tag in list(item.tags):
        if tag.code not in wanted:
            item.tags.remove(tag)
    have = {t.code for t in item.tags}
    for code in sorted(wanted - have):
        item.tags.append(InitiativeTag(code=code, kind=kind_of(code) or "other"))


def record_version(
    session: Session,
    item: Initiative,
    *,
    principal: Principal | None,
    note: str = "",
    author: str = "",
    first: bool = False,
    flush: bool = True,
) -> InitiativeVersion:
    """Store the item's current content as its next version (``first``: version 1)."""
    if item.id is None:
        session.flush()
    number = 1
    if not first:
        last = session.scalar(
            select(InitiativeVersion.version)
            .where(InitiativeVersion.initiative_id == item.id)
            .order_by(InitiativeVersion.version.desc())
            .limit(1)
        )
        number = (last or 0) + 1
    item.version = number
    item.updated_at = utcnow()
    row = InitiativeVersion(
        initiative_id=item.id,
        version=number,
        content=snapshot(item),
        status=item.status,
        author_id=principal.user_id if principal else None,
        author=author or (principal.username if principal else "system"),
        note=note[:1000],
    )
    session.add(row)
    if flush:
        session.flush()
    return row


def versions(session: Session, item: Initiative) -> list[InitiativeVersion]:
    return list(
        session.scalars(
            select(InitiativeVersion)
            .where(InitiativeVersion.initiative_id == item.id)
            .order_by(InitiativeVersion.version)
        )
    )


def _render(content: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for key in sorted(content):
        value = content[key]
        if value in ("", [], None):
            continue
        lines.append(f"[{key}]")
        if isinstance(value, list):
            for v in value:
                text = (
                    json.dumps(v, ensure_ascii=False, sort_keys=True)
                    if isinstance(v, dict)
                    else str(v)
                )
                lines.extend(textwrap.wrap(f"- {text}", 100) or ["-"])
        else:
            for para in str(value).split("\n"):
                lines.extend(textwrap.wrap(para, 100) or [""])
    return lines


def diff(
    old: dict[str, Any], new: dict[str, Any], *, old_label: str = "before", new_label: str = "after"
) -> str:
    """A unified diff of two content snapshots, field by field, wrapped for reading."""
    return "\n".join(
        difflib.unified_diff(
            _render(old), _render(new), fromfile=old_label, tofile=new_label, lineterm="", n=2
        )
    )
