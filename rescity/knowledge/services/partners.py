"""Partner matching over the store: features of every city, ranked candidates, assignment.

Evidence comes from what is recorded: initiatives' themes, the themes of events a city took
part in, pairing topics, programme clusters, attached assessments (measured gaps), and the
gazetteer profile (population, latitude). What is not recorded stays unknown.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core.errors import NotFound
from rescity.knowledge.adapters.orm import (
    Assessment,
    City,
    Event,
    Initiative,
    Pairing,
    Partner,
    Programme,
)
from rescity.knowledge.domain import matching
from rescity.knowledge.domain.gaps import all_concepts, directness
from rescity.knowledge.domain.gazetteer import region_of
from rescity.knowledge.domain.model import Status
from rescity.knowledge.domain.taxonomy import auto_tags, kind_of, label
from rescity.knowledge.services.recommendations import FIND_CONCEPTS, stored_gaps

THEME_KINDS = ("urban_agenda", "gz_theme", "iuc_cluster")


def _themes(codes: list[str]) -> list[str]:
    return [c for c in codes if kind_of(c) in THEME_KINDS]


def features(session: Session) -> dict[str, matching.CityFeatures]:
    """Matching features of every city in the store."""
    out: dict[str, matching.CityFeatures] = {}
    ids: dict[int, str] = {}
    for city in session.scalars(select(City)):
        ids[city.id] = city.key
        latest = next((p for p in reversed(city.profiles) if p.population), None)
        population = city.population or (latest.population if latest else None)
        source = (
            (city.provenance or {}).get("population", "")
            if city.population
            else (latest.source if latest else "")
        )
        out[city.key] = matching.CityFeatures(
            key=city.key,
            name=city.name_en or city.name_zh,
            region=region_of(city.country),
            population=float(population) if population else None,
            population_source=str(source)[:80],
            lat=city.lat,
        )
    concepts = list(all_concepts().values())
    for item in session.scalars(
        select(Initiative).where(Initiative.status == str(Status.PUBLISHED))
    ):
        f = out[ids[item.city_id]]
        f.has_initiatives = True
        for code in _themes(item.tag_codes):
            f.themes.setdefault(code, []).append(f"initiative {item.key}")
            f.theme_labels[code] = label(code, "en")
        for concept in concepts:
            d = directness(
                concept,
                outcomes=f"{item.outcomes_en}\n{item.outcomes_zh}",
                measures=[*item.key_measures_en, *item.key_measures_zh],
                text="",
                codes=set(),
                find=FIND_CONCEPTS,
            )
            if d.level in ("outcome", "measure"):
                f.addresses.setdefault(concept.key, []).append(item.key)
    for ev in session.scalars(select(Event).order_by(Event.date)):
        when = ev.date.isoformat() if ev.date else "undated"
        for key in ev.participants or []:
            if key not in out:
                continue
            f = out[key]
            f.cooperation[f"event:{ev.key}"] = f"{when} {ev.title[:60]}"
            for code in _themes(list(ev.themes or [])):
                f.themes.setdefault(code, []).append(f"event {when}")
                f.theme_labels[code] = label(code, "en")
    for p in session.scalars(select(Partner)):
        f = out[ids[p.city_id]]
        for cluster in p.clusters or []:
            f.cooperation[f"cluster:{cluster}"] = f"cluster {label(cluster, 'en')}"
    for pair in session.scalars(select(Pairing)):
        a, b = ids[pair.city_a_id], ids[pair.city_b_id]
        out[a].paired_with.add(b)
        out[b].paired_with.add(a)
        for code in _themes(auto_tags(pair.topic or "")):
            for key in (a, b):
                out[key].themes.setdefault(code, []).append("pairing topic")
                out[key].theme_labels[code] = label(code, "en")
    for row in session.scalars(select(Assessment)):
        f = out[ids[row.city_id]]
        gaps = stored_gaps(row)
        f.gaps = {g.key: g.severity for g in gaps}
        f.gap_labels = {g.key: g.label("en") for g in gaps}
    return out


def _members(session: Session, programme_key: str, cluster: str | None = None) -> set[str]:
    prog = session.scalar(select(Programme).where(Programme.key == programme_key))
    if prog is None:
        raise NotFound(f"no programme '{programme_key}'")
    rows = session.scalars(select(Partner).where(Partner.programme_id == prog.id))
    return {p.city.key for p in rows if cluster is None or not p.clusters or cluster in p.clusters}


def match_city(
    session: Session, key: str, *, limit: int = 10, programme: str | None = None
) -> matching.Ranking:
    feats = features(session)
    if key not in feats:
        raise NotFound(f"no city '{key}'")
    others = list(feats.values())
    if programme:
        members = _members(session, programme)
        others = [f for f in others if f.key in members]
    return matching.rank_candidates(feats[key], others, limit=limit)


def assign_programme(
    session: Session, programme_key: str, *, cluster: str | None = None
) -> list[matching.Match]:
    """Optimal one-to-one Chinese–European assignment within a programme (and cluster).

    Raises :class:`matching.NoInformation` when the scores cannot tell pairs apart.
    """
    members = _members(session, programme_key, cluster)
    feats = features(session)
    left = [feats[k] for k in sorted(members) if feats[k].region == "cn"]
    right = [feats[k] for k in sorted(members) if feats[k].region == "eu"]
    return matching.assign(left, right)
