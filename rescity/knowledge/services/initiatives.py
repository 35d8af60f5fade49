"""Register and share: submit, edit (every edit is a version), review, publish.

Workflow::

    submitted ──publish──▶ published
        │  ▲  └─reject──▶ rejected
        │  └── owner edits ──┐
        └─request_changes──▶ changes_requested

Any signed-in user may submit; the owner may edit their own submission until it is
published (an owner's edit of a published record sends it back to review); knowledge
editors may edit and review anything. Only published initiatives are public.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, PermissionDenied, Problem
from rescity.core.security.policy import Principal, Target, is_allowed, require
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.orm import Initiative, InitiativeVersion
from rescity.knowledge.adapters.search_index import SearchIndex
from rescity.knowledge.domain.model import Status, slugify
from rescity.knowledge.domain.outcomes import figure_from_dict
from rescity.knowledge.domain.taxonomy import auto_tags, terms
from rescity.knowledge.services.catalogue import get_city
from rescity.knowledge.services.versions import apply_content, diff, record_version, snapshot

REVIEW_DECISIONS = {
    "publish": Status.PUBLISHED,
    "request_changes": Status.CHANGES_REQUESTED,
    "reject": Status.REJECTED,
}
OWNER_EDITABLE = {Status.DRAFT, Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.PUBLISHED}


@dataclass
class InitiativeInput:
    """What a user submits or edits; validated all at once by :func:`validate`."""

    city: str = ""
    title_en: str = ""
    title_zh: str = ""
    summary_en: str = ""
    summary_zh: str = ""
    abstract_en: str = ""
    abstract_zh: str = ""
    background_en: str = ""
    background_zh: str = ""
    key_measures_en: list[str] = field(default_factory=list)
    key_measures_zh: list[str] = field(default_factory=list)
    innovative_aspects_en: str = ""
    innovative_aspects_zh: str = ""
    outcomes_en: str = ""
    outcomes_zh: str = ""
    lessons_en: str = ""
    lessons_zh: str = ""
    figures: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] | None = None
    year: int | None = None
    # the rest of a case sheet (Guangzhou Award / URBACT good-practice sheets)
    transferability_en: str = ""
    transferability_zh: str = ""
    budget: str = ""
    period: str = ""
    stakeholders: str = ""
    contact: str = ""
    source: str = ""


SHEET_FIELDS = (
    "transferability_en",
    "transferability_zh",
    "budget",
    "period",
    "stakeholders",
    "contact",
    "source",
)
_SHEET_LIMITS = {"budget": 300, "period": 100, "contact": 300, "source": 500}


def validate(data: InitiativeInput, session: Session) -> list[Problem]:
    problems: list[Problem] = []
    if not data.city.strip():
        problems.append(Problem("city", "choose the city"))
    elif get_city(session, data.city) is None:
        problems.append(Problem("city", f"unknown city {data.city!r}: choose one from the list"))
    for name, limit in _SHEET_LIMITS.items():
        if len(getattr(data, name)) > limit:
            problems.append(Problem(name, f"at most {limit} characters"))
    if not (data.title_en.strip() or data.title_zh.strip()):
        problems.append(Problem("title", "give a title in Chinese or English"))
    for name in ("title_en", "title_zh"):
        if len(getattr(data, name)) > 400:
            problems.append(Problem(name, "at most 400 characters"))
    if not (data.abstract_en.strip() or data.abstract_zh.strip()):
        problems.append(Problem("abstract", "give a short abstract in Chinese or English"))
    if data.year is not None and not 1900 <= data.year <= 2100:
        problems.append(Problem("year", "a year between 1900 and 2100"))
    for n, fig in enumerate(data.figures):
        try:
            figure_from_dict(fig)
        except ValueError as exc:
            problems.append(
                Problem(f"figures[{n}].{str(exc).split(':')[0]}", str(exc).split(": ", 1)[-1])
            )
    known = terms()
    for code in data.tags or []:
        if code not in known:
            problems.append(Problem("tags", f"unknown tag {code!r}"))
    return problems


def _content(data: InitiativeInput) -> dict[str, Any]:
    content = {
        k: v
        for k, v in data.__dict__.items()
        if k not in ("city", "tags", "figures", *SHEET_FIELDS)
    }
    content["sheet"] = {k: getattr(data, k).strip() for k in SHEET_FIELDS if getattr(data, k)}
    content["key_measures_en"] = [m.strip() for m in data.key_measures_en if m.strip()]
    content["key_measures_zh"] = [m.strip() for m in data.key_measures_zh if m.strip()]
    content["figures"] = [figure_from_dict(f).as_dict() for f in data.figures]
    if data.tags is None:
        text = " ".join(
            [
                data.title_en,
                data.title_zh,
                data.abstract_en,
                data.abstract_zh,
                *content["key_measures_en"],
                *content["key_measures_zh"],
            ]
        )
        content["tags"] = auto_tags(text)
    else:
        content["tags"] = list(data.tags)
    return content


def _new_key(session: Session, city_key: str, data: InitiativeInput) -> str:
    base = f"{city_key}-{slugify(data.title_en, max_len=50) or 'initiative'}"
    key, n = base, 1
    while session.scalar(select(Initiative.id).where(Initiative.key == key)) is not None:
        n += 1
        key = f"{base}-{n}"
    return key


def submit(uow: UnitOfWork, principal: Principal, data: InitiativeInput) -> Initiative:
    """A signed-in user registers an initiative; it waits for review."""
    require(principal, "knowledge.initiative.submit")
    session = uow.session
    problems = validate(data, session)
    if problems:
        raise InputError(problems, source="initiative")
    city = get_city(session, data.city)
    if city is None:  # validate() said so already; never create a city from a form
        raise InputError([Problem("city", f"unknown city {data.city!r}")], source="initiative")
    item = Initiative(
        key=_new_key(session, city.key, data),
        city_id=city.id,
        origin="app",
        owner_id=principal.user_id,
        status=str(Status.SUBMITTED),
        edited_in_app=True,
    )
    session.add(item)
    session.flush()
    session.refresh(item, ["city"])
    apply_content(session, item, _content(data))
    record_version(session, item, principal=principal, note="submitted")
    SearchIndex(session).put(item)
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.initiative.submit",
        record_type="initiative",
        record_id=item.key,
    )
    uow.commit()
    return item


def get(session: Session, key: str) -> Initiative:
    item = session.scalar(select(Initiative).where(Initiative.key == key))
    if item is None:
        raise NotFound(f"no initiative '{key}'")
    return item


def can_read(principal: Principal | None, item: Initiative) -> bool:
    if item.status == Status.PUBLISHED:
        return True
    target = Target(owner_id=item.owner_id)
    return is_allowed(principal, "knowledge.initiative.read", target) or is_allowed(
        principal, "knowledge.initiative.review"
    )


def get_visible(session: Session, principal: Principal | None, key: str) -> Initiative:
    """The initiative if this principal may see it; unpublished ones look missing otherwise."""
    item = get(session, key)
    if not can_read(principal, item):
        raise NotFound(f"no initiative '{key}'")
    return item


def update(
    uow: UnitOfWork,
    principal: Principal,
    key: str,
    data: InitiativeInput,
    *,
    note: str = "",
    expected_version: int | None = None,
) -> Initiative:
    """Edit an initiative; the previous state stays as a version."""
    session = uow.session
    item = get(session, key)
    is_editor = is_allowed(principal, "knowledge.initiative.review")
    if not is_editor:
        require(principal, "knowledge.initiative.update", Target(owner_id=item.owner_id))
        if Status(item.status) not in OWNER_EDITABLE:
            raise Conflict(f"a {item.status} initiative cannot be edited")
    if expected_version is not None and expected_version != item.version:
        raise Conflict(f"initiative '{key}' changed (version {item.version}); reload and retry")
    problems = validate(data, session)
    if problems:
        raise InputError(problems, source="initiative")
    if not is_editor and item.status == Status.PUBLISHED:
        # The published version stays live; the edit waits for an editor.
        item.pending_content = {**_content(data), "city": data.city or item.city.key}
        item.pending_by = principal.user_id
        audit.record(
            session,
            principal,
            kind=AuditKind.WRITE,
            action="knowledge.initiative.propose_edit",
            record_type="initiative",
            record_id=item.key,
            detail={"note": note[:500]},
        )
        uow.commit()
        return item
    _move_to_city(session, item, data.city)
    apply_content(session, item, _content(data))
    item.edited_in_app = True
    if not is_editor and item.status == Status.CHANGES_REQUESTED:
        item.status = str(Status.SUBMITTED)
    record_version(session, item, principal=principal, note=note or "edited")
    SearchIndex(session).put(item)
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.initiative.update",
        record_type="initiative",
        record_id=item.key,
        detail={"version": item.version},
    )
    uow.commit()
    return item


def _move_to_city(session: Session, item: Initiative, city_key: str) -> None:
    if city_key and city_key != item.city.key:
        city = get_city(session, city_key)
        if city is None:
            raise InputError([Problem("city", f"unknown city {city_key!r}")], source="initiative")
        item.city_id = city.id
        session.flush()
        session.refresh(item, ["city"])


def review(
    uow: UnitOfWork, principal: Principal, key: str, decision: str, *, comment: str = ""
) -> Initiative:
    """A knowledge editor publishes, rejects or asks for changes (with a comment).

    On a published record with an owner's pending edit, the decision is about the edit:
    publishing applies it (a new version), the others drop it and the record stays as it
    was. Nobody reviews their own submission or edit.
    """
    require(principal, "knowledge.initiative.review")
    if decision not in REVIEW_DECISIONS:
        raise InputError([Problem("decision", f"one of {', '.join(REVIEW_DECISIONS)}")])
    if decision == "request_changes" and not comment.strip():
        raise InputError([Problem("comment", "say what should change")])
    session = uow.session
    item = get(session, key)
    author = item.pending_by if item.pending_content is not None else item.owner_id
    if author is not None and author == principal.user_id:
        raise PermissionDenied("you cannot review your own submission or edit")
    if item.pending_content is not None:
        return _review_pending(uow, principal, item, decision, comment)
    if item.status not in (Status.SUBMITTED, Status.CHANGES_REQUESTED, Status.PUBLISHED):
        raise Conflict(f"a {item.status} initiative cannot be reviewed")
    item.status = str(REVIEW_DECISIONS[decision])
    SearchIndex(session).put(item)  # the index filters on status
    record_version(session, item, principal=principal, note=f"{decision}: {comment}".strip(": "))
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action=f"knowledge.initiative.{decision}",
        record_type="initiative",
        record_id=item.key,
        detail={"comment": comment[:500]},
    )
    uow.commit()
    return item


def _review_pending(
    uow: UnitOfWork, principal: Principal, item: Initiative, decision: str, comment: str
) -> Initiative:
    session = uow.session
    pending = dict(item.pending_content or {})
    if decision == "publish":
        _move_to_city(session, item, str(pending.pop("city", "")))
        apply_content(session, item, pending)
        item.edited_in_app = True
        record_version(session, item, principal=principal, note=f"edit published {comment}".strip())
        SearchIndex(session).put(item)
    item.pending_content = None
    item.pending_by = None
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action=f"knowledge.initiative.edit_{decision}",
        record_type="initiative",
        record_id=item.key,
        detail={"comment": comment[:500]},
    )
    uow.commit()
    return item


def can_edit(principal: Principal, item: Initiative) -> bool:
    """The owner (while the record is editable) or a knowledge editor."""
    if is_allowed(principal, "knowledge.initiative.review"):
        return True
    return (
        is_allowed(principal, "knowledge.initiative.update", Target(owner_id=item.owner_id))
        and Status(item.status) in OWNER_EDITABLE
    )


def pending_input(item: Initiative) -> InitiativeInput | None:
    """The owner's edit awaiting review, as form input (None when there is none)."""
    if item.pending_content is None:
        return None
    content = dict(item.pending_content)
    data = InitiativeInput(
        city=str(content.get("city", item.city.key)),
        figures=list(content.get("figures", [])),
        tags=list(content.get("tags", [])),
        year=content.get("year"),
    )
    for name, value in content.items():
        if hasattr(data, name) and name not in ("city", "figures", "tags", "year", "sheet"):
            setattr(data, name, value)
    for name, value in (content.get("sheet") or {}).items():
        if name in SHEET_FIELDS:
            setattr(data, name, value)
    return data


def can_see_history(principal: Principal | None, item: Initiative) -> bool:
    """Version history (who changed what) is for the owner and knowledge editors; the
    same rule for the page and the API."""
    if principal is None:
        return False
    return item.owner_id == principal.user_id or is_allowed(
        principal, "knowledge.initiative.review"
    )


def review_queue(session: Session, principal: Principal) -> list[Initiative]:
    require(principal, "knowledge.initiative.review")
    return list(
        session.scalars(
            select(Initiative)
            .where(
                (Initiative.status == str(Status.SUBMITTED))
                | Initiative.pending_content.is_not(None)
            )
            .order_by(Initiative.updated_at)
        )
    )


def my_initiatives(session: Session, principal: Principal) -> list[Initiative]:
    return list(
        session.scalars(
            select(Initiative)
            .where(Initiative.owner_id == principal.user_id)
            .order_by(Initiative.updated_at.desc())
        )
    )


def version_diff(session: Session, item: Initiative, old: int, new: int) -> str:
    rows = {
        v.version: v
        for v in session.scalars(
            select(InitiativeVersion).where(
                InitiativeVersion.initiative_id == item.id,
                InitiativeVersion.version.in_([old, new]),
            )
        )
    }
    if old not in rows or new not in rows:
        raise NotFound(f"initiative '{item.key}' has no version {old if old not in rows else new}")
    return diff(
        rows[old].content, rows[new].content, old_label=f"version {old}", new_label=f"version {new}"
    )


def input_from_item(item: Initiative) -> InitiativeInput:
    content = snapshot(item)
    data = InitiativeInput(
        city=item.city.key,
        figures=list(content["figures"]),
        tags=list(content["tags"]),
        year=item.year,
    )
    for name, value in content.items():
        if hasattr(data, name) and name not in ("city", "figures", "tags", "year", "sheet"):
            setattr(data, name, value)
    for name, value in (item.sheet or {}).items():
        if name in SHEET_FIELDS:
            setattr(data, name, value)
    return data


def split_lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in re.split(r"\r?\n", text) if line.strip(" -•\t")]
