"""Cooperation use cases: partner matching, pairings, programme assignment, assessments,
recommendations and action plans. Features for the pure matching code come from the store."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, DataFileError, InputError, NotFound, Problem
from rescity.core.security.policy import Principal, require
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.orm import (
    Action,
    ActionPlan,
    Assessment,
    City,
    Initiative,
    Milestone,
    Pairing,
    Partner,
    Programme,
)
from rescity.knowledge.adapters.search_index import document_of
from rescity.knowledge.domain import matching
from rescity.knowledge.domain.assessment import (
    index_label,
    index_themes,
    read_summary,
    weakest,
)
from rescity.knowledge.domain.gazetteer import region_of
from rescity.knowledge.domain.model import Status
from rescity.knowledge.domain.taxonomy import label
from rescity.knowledge.services.catalogue import find_pairing, get_city


def city_or_404(session: Session, key: str) -> City:
    city = get_city(session, key)
    if city is None:
        raise NotFound(f"no city '{key}'")
    return city


def _references(session: Session) -> dict[str, float]:
    values: dict[str, list[float]] = {}
    for row in session.scalars(select(Assessment)):
        for k, v in (row.indices or {}).items():
            values.setdefault(k, []).append(float(v))
    return {k: statistics.median(v) for k, v in values.items() if len(v) >= 2}


def features(session: Session) -> dict[str, matching.CityFeatures]:
    """Matching features of every city in the store."""
    out: dict[str, matching.CityFeatures] = {}
    for city in session.scalars(select(City)):
        latest = city.profiles[-1] if city.profiles else None
        out[city.key] = matching.CityFeatures(
            key=city.key,
            name=city.name_en or city.name_zh,
            region=region_of(city.country),
            population=latest.population if latest else None,
            density=latest.density if latest else None,
            gdp_per_capita=latest.gdp_per_capita if latest else None,
        )
    ids = {c.id: c.key for c in session.scalars(select(City))}
    for item in session.scalars(
        select(Initiative).where(Initiative.status == str(Status.PUBLISHED))
    ):
        f = out[ids[item.city_id]]
        f.tags.update(item.tag_codes)
        doc = document_of(item)
        f.tokens.extend((doc.title + " " + doc.body).split())
    for p in session.scalars(select(Partner)):
        out[ids[p.city_id]].clusters.update(p.clusters or [])
    for pair in session.scalars(select(Pairing)):
        a, b = ids[pair.city_a_id], ids[pair.city_b_id]
        out[a].paired_with.add(b)
        out[b].paired_with.add(a)
    refs = _references(session)
    themes = index_themes()
    for row in session.scalars(select(Assessment)):
        f = out[ids[row.city_id]]
        f.weak_indices = weakest(row.indices or {}, refs)
        f.weak_themes = {t for name in f.weak_indices for t in themes.get(name, [])}
    return out


def match_city(
    session: Session, key: str, *, limit: int = 10, programme: str | None = None
) -> list[matching.Match]:
    city_or_404(session, key)
    feats = features(session)
    others = list(feats.values())
    if programme:
        members = _members(session, programme)
        others = [f for f in others if f.key in members]
    return matching.rank_candidates(feats[key], others, limit=limit)


def _members(session: Session, programme_key: str, cluster: str | None = None) -> set[str]:
    prog = session.scalar(select(Programme).where(Programme.key == programme_key))
    if prog is None:
        raise NotFound(f"no programme '{programme_key}'")
    rows = session.scalars(select(Partner).where(Partner.programme_id == prog.id))
    return {p.city.key for p in rows if cluster is None or not p.clusters or cluster in p.clusters}


def assign_programme(
    session: Session, programme_key: str, *, cluster: str | None = None
) -> list[matching.Match]:
    """Optimal one-to-one Chinese–European assignment within a programme (and cluster)."""
    members = _members(session, programme_key, cluster)
    feats = features(session)
    left = [feats[k] for k in sorted(members) if feats[k].region == "cn"]
    right = [feats[k] for k in sorted(members) if feats[k].region == "eu"]
    return matching.assign(left, right)


def propose_pairing(
    uow: UnitOfWork,
    principal: Principal,
    a_key: str,
    b_key: str,
    *,
    topic: str = "",
    programme: str | None = None,
) -> Pairing:
    """Propose a pairing on behalf of city A; it counts only when B confirms too."""
    require(principal, "knowledge.pairing.create")
    session = uow.session
    a, b = city_or_404(session, a_key), city_or_404(session, b_key)
    if find_pairing(session, a.id, b.id) is not None:
        raise Conflict(f"{a_key} and {b_key} are already paired or proposed")
    prog = (
        session.scalar(select(Programme).where(Programme.key == programme)) if programme else None
    )
    pairing = Pairing(
        programme_id=prog.id if prog else None,
        city_a_id=a.id,
        city_b_id=b.id,
        topic=topic,
        confirmed_a=True,
        confirmed_b=False,
        source="app",
    )
    session.add(pairing)
    session.flush()
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.pairing.create",
        record_type="pairing",
        record_id=pairing.id,
        detail={"a": a_key, "b": b_key},
    )
    uow.commit()
    return pairing


def confirm_pairing(
    uow: UnitOfWork, principal: Principal, pairing_id: int, city_key: str
) -> Pairing:
    """One side confirms; the pairing is confirmed when both sides have."""
    require(principal, "knowledge.pairing.confirm")
    session = uow.session
    pairing = session.get(Pairing, pairing_id)
    if pairing is None:
        raise NotFound(f"no pairing {pairing_id}")
    if city_key == pairing.city_a.key:
        pairing.confirmed_a = True
    elif city_key == pairing.city_b.key:
        pairing.confirmed_b = True
    else:
        raise InputError([Problem("city", f"{city_key} is not part of pairing {pairing_id}")])
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.pairing.confirm",
        record_type="pairing",
        record_id=pairing.id,
        detail={"side": city_key},
    )
    uow.commit()
    return pairing


def attach_assessment(
    uow: UnitOfWork, principal: Principal | None, city_key: str, path: Path
) -> Assessment:
    """Attach an assess summary.json to a city profile (replacing an older one)."""
    if principal is not None:
        require(principal, "knowledge.city.update")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(str(path), "file not found") from None
    except json.JSONDecodeError as exc:
        raise DataFileError(str(path), f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    try:
        summary = read_summary(data)
    except ValueError as exc:
        raise DataFileError(str(path), str(exc)) from None
    session = uow.session
    city = city_or_404(session, city_key)
    row = session.scalar(select(Assessment).where(Assessment.city_id == city.id))
    if row is None:
        row = Assessment(city_id=city.id)
        session.add(row)
    row.source = str(path)
    row.indices = summary.medians
    row.low_shares = summary.low_shares
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.assessment.attach",
        record_type="city",
        record_id=city.key,
        detail={"indices": sorted(summary.medians), "ignored": summary.ignored},
    )
    uow.commit()
    return row


@dataclass
class Recommendation:
    initiative: Initiative
    index: str
    score: float
    reason: str


def recommend(
    session: Session, city_key: str, *, lang: str = "en", limit: int = 10
) -> list[Recommendation]:
    """For the city's weakest assess indices, initiatives from comparable cities on them.

    score = 0.6 × (share of the index's themes the initiative carries)
          + 0.4 × context similarity of the two cities (0.5 when unknown)
    """
    city = city_or_404(session, city_key)
    row = session.scalar(select(Assessment).where(Assessment.city_id == city.id))
    if row is None:
        raise NotFound(f"no assessment attached to '{city_key}' (rescity kb attach-assessment)")
    feats = features(session)
    me = feats[city.key]
    weak = weakest(row.indices or {}, _references(session))
    themes = index_themes()
    found: dict[str, Recommendation] = {}
    for item in session.scalars(
        select(Initiative).where(
            Initiative.status == str(Status.PUBLISHED), Initiative.city_id != city.id
        )
    ):
        other = feats[item.city.key]
        ctx, ctx_note = matching.context_similarity(me, other)
        for rank, index in enumerate(weak):
            wanted = set(themes.get(index, []))
            covered = wanted & set(item.tag_codes)
            if not covered:
                continue
            score = 0.6 * len(covered) / len(wanted) + 0.4 * (ctx if ctx is not None else 0.5)
            value = (row.indices or {}).get(index)
            reason = (
                f"{index_label(index, lang)} = {value:g} is one of {city.name(lang)}'s "
                f"weakest (#{rank + 1}); this initiative addresses "
                + ", ".join(label(c, lang) for c in sorted(covered))
                + (f"; {ctx_note}" if ctx_note else "")
            )
            best = found.get(item.key)
            if best is None or score > best.score:
                found[item.key] = Recommendation(item, index, score, reason)
    return sorted(found.values(), key=lambda r: (-r.score, r.initiative.key))[:limit]


@dataclass
class ActionInput:
    title: str
    owner: str = ""
    quarter: str = ""
    status: str = "planned"
    initiative_keys: tuple[str, ...] = ()


def create_action_plan(
    uow: UnitOfWork,
    principal: Principal,
    city_key: str,
    title: str,
    *,
    contact_role: str,
    contact_name: str = "",
    actions: tuple[ActionInput, ...] = (),
    milestones: tuple[tuple[str, str], ...] = (),
    programme: str | None = None,
) -> ActionPlan:
    """A local action plan with actions (owner, quarter, linked initiatives) and milestones."""
    require(principal, "knowledge.plan.create")
    problems: list[Problem] = []
    if not title.strip():
        problems.append(Problem("title", "must not be empty"))
    if not contact_role.strip():
        problems.append(Problem("contact_role", "name the key contact's role"))
    session = uow.session
    for n, action in enumerate(actions):
        if action.quarter and not _quarter_ok(action.quarter):
            problems.append(Problem(f"actions[{n}].quarter", "like 2025Q3"))
        for key in action.initiative_keys:
            if session.scalar(select(Initiative.id).where(Initiative.key == key)) is None:
                problems.append(Problem(f"actions[{n}].initiatives", f"no initiative {key!r}"))
    for n, (_, quarter) in enumerate(milestones):
        if quarter and not _quarter_ok(quarter):
            problems.append(Problem(f"milestones[{n}].quarter", "like 2025Q3"))
    if problems:
        raise InputError(problems, source="action plan")
    city = city_or_404(session, city_key)
    prog = (
        session.scalar(select(Programme).where(Programme.key == programme)) if programme else None
    )
    plan = ActionPlan(
        city_id=city.id,
        programme_id=prog.id if prog else None,
        title=title,
        contact_role=contact_role,
        contact_name=contact_name,
    )
    plan.actions = [
        Action(
            title=a.title,
            owner=a.owner,
            quarter=a.quarter,
            status=a.status,
            initiative_keys=list(a.initiative_keys),
        )
        for a in actions
    ]
    plan.milestones = [Milestone(title=t, quarter=q) for t, q in milestones]
    session.add(plan)
    session.flush()
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.plan.create",
        record_type="action_plan",
        record_id=plan.id,
        detail={"city": city_key},
    )
    uow.commit()
    return plan


def _quarter_ok(text: str) -> bool:
    return len(text) == 6 and text[:4].isdigit() and text[4] == "Q" and text[5] in "1234"


def tag_counts(session: Session, city: City) -> Counter[str]:
    counts: Counter[str] = Counter()
    for item in session.scalars(
        select(Initiative).where(
            Initiative.city_id == city.id, Initiative.status == str(Status.PUBLISHED)
        )
    ):
        counts.update(item.tag_codes)
    return counts
