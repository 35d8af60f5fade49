"""Storing what importers read: cities, profiles, initiatives, programmes — idempotently.

Re-importing the same file finds every record by its stable key and changes nothing. An
imported initiative that someone edited in the app (``edited_in_app``) is left as it is
unless ``force`` is given; the summary says which ones were kept. Everything happens in the
caller's unit of work, which commits once: a failure leaves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.security.policy import Principal
from rescity.core.storage.uow import UnitOfWork
from rescity.knowledge.adapters.orm import (
    City,
    CityProfile,
    Event,
    Initiative,
    Pairing,
    Partner,
    Programme,
)
from rescity.knowledge.adapters.search_index import SearchIndex, document_of
from rescity.knowledge.domain.gazetteer import city_data
from rescity.knowledge.domain.model import (
    CityData,
    ImportIssue,
    ImportResult,
    InitiativeData,
    ProfileData,
    ProgrammeData,
)
from rescity.knowledge.domain.provenance import document_name
from rescity.knowledge.services.profiles import fill_from_gazetteer
from rescity.knowledge.services.versions import apply_content, content_hash, record_version


@dataclass
class ImportSummary:
    source: str
    format: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_local_edits: list[str] = field(default_factory=list)
    cities: int = 0
    profiles: int = 0
    partners: int = 0
    pairings: int = 0
    events: int = 0
    issues: list[ImportIssue] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.kept_local_edits)} kept (edited in "
            f"app), {self.cities} cities, {self.profiles} profiles, {self.partners} partners, "
            f"{self.pairings} pairings, {self.events} events, {len(self.issues)} issues"
        )


def get_city(session: Session, key: str) -> City | None:
    return session.scalar(select(City).where(City.key == key))


def upsert_city(session: Session, data: CityData) -> City:
    city = get_city(session, data.key)
    if city is None:
        city = City(
            key=data.key,
            name_en=data.name_en,
            name_zh=data.name_zh,
            country=data.country,
            lat=data.lat,
            lon=data.lon,
        )
        fill_from_gazetteer(city)
        session.add(city)
        session.flush()
        return city
    # fill gaps only: names edited in the app are kept
    city.name_en = city.name_en or data.name_en
    city.name_zh = city.name_zh or data.name_zh
    city.country = city.country or data.country
    if city.lat is None:
        city.lat, city.lon = data.lat, data.lon
    if not city.timezone:
        fill_from_gazetteer(city)
    return city


def ensure_city(session: Session, key_or_name: str) -> City:
    city = get_city(session, key_or_name)
    return city if city is not None else upsert_city(session, city_data(key_or_name))


def upsert_profile(session: Session, city: City, data: ProfileData) -> CityProfile:
    row = session.scalar(
        select(CityProfile).where(
            CityProfile.city_id == city.id,
            CityProfile.year.is_(None) if data.year is None else CityProfile.year == data.year,
        )
    )
    if row is None:
        row = CityProfile(city_id=city.id, year=data.year)
        session.add(row)
    row.population = data.population
    row.land_area_km2 = data.land_area_km2
    row.gdp_per_capita = data.gdp_per_capita
    row.gdp_currency = data.gdp_currency
    row.gdp_year = data.gdp_year
    row.growth_rate_pct = data.growth_rate_pct
    row.prosperity = list(data.prosperity)
    row.stated_density = data.stated_density
    row.scope_note = data.scope_note
    row.source = data.source
    row.notes = dict(data.notes)
    session.flush()
    return row


def _import_initiatives(
    session: Session,
    batch: list[tuple[City, InitiativeData]],
    *,
    force: bool,
    principal: Principal | None,
    summary: ImportSummary,
) -> None:
    """Create or update many initiatives with few round-trips (bulk imports stay fast)."""
    existing: dict[str, Initiative] = {}
    keys = [data.key for _, data in batch]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        existing.update(
            {i.key: i for i in session.scalars(select(Initiative).where(Initiative.key.in_(chunk)))}
        )
    pending: list[tuple[Initiative, bool, str]] = []
    with session.no_autoflush:
        for city, data in batch:
            content = data.content()
            content["city"] = city.key
            digest = content_hash(content)
            item = existing.get(data.key)
            if item is not None:  # where it comes from is not content: always up to date
                _set_provenance(item, data)
            if item is not None and item.edited_in_app and not force:
                summary.kept_local_edits.append(data.key)
                continue
            if item is not None and item.import_hash == digest and not item.edited_in_app:
                summary.unchanged.append(data.key)
                continue
            created = item is None
            if item is None:
                item = Initiative(
                    key=data.key, origin="import", owner_id=None, status=str(data.status), version=1
                )
                session.add(item)
                existing[data.key] = item
            item.city = city
            apply_content(session, item, content)
            _set_provenance(item, data)
            item.import_hash = digest
            item.edited_in_app = False
            item.last_verified = date.today()
            pending.append((item, created, data.source_document))
    session.flush()
    for item, created, source in pending:
        record_version(
            session,
            item,
            principal=principal,
            author="import",
            note=f"imported from {source}",
            first=created,
            flush=False,
        )
        (summary.created if created else summary.updated).append(item.key)
    session.flush()
    SearchIndex(session).put_many([document_of(item) for item, _, _ in pending])


def _set_provenance(item: Initiative, data: InitiativeData) -> None:
    item.source_document = document_name(data.source_document)
    item.source_page = data.source_page
    item.source_section = data.source_section


def _import_programme(
    session: Session, data: ProgrammeData, summary: ImportSummary, source: str
) -> None:
    prog = session.scalar(select(Programme).where(Programme.key == data.key))
    if prog is None:
        prog = Programme(
            key=data.key,
            name_en=data.name_en,
            name_zh=data.name_zh,
            period=data.period,
            clusters=list(data.clusters),
        )
        session.add(prog)
        session.flush()
    else:
        prog.clusters = sorted(set(prog.clusters or []) | set(data.clusters))
    for p in data.partners:
        city = ensure_city(session, p.city_key)
        row = session.scalar(
            select(Partner).where(Partner.programme_id == prog.id, Partner.city_id == city.id)
        )
        if row is None:
            session.add(
                Partner(
                    programme_id=prog.id,
                    city_id=city.id,
                    region=p.region,
                    role=p.role,
                    clusters=list(p.clusters),
                )
            )
            summary.partners += 1
    session.flush()
    for pair in data.pairings:
        a, b = ensure_city(session, pair.city_a), ensure_city(session, pair.city_b)
        if find_pairing(session, a.id, b.id) is None:
            session.add(
                Pairing(
                    programme_id=prog.id,
                    city_a_id=a.id,
                    city_b_id=b.id,
                    topic=pair.topic,
                    confirmed_a=True,
                    confirmed_b=True,
                    source=f"{source}:{pair.source_line or ''}",
                )
            )
            summary.pairings += 1
    session.flush()
    for ev in data.events:
        existing = session.scalar(select(Event).where(Event.key == ev.key))
        if existing is None:
            existing = Event(key=ev.key, programme_id=prog.id)
            session.add(existing)
            summary.events += 1
        existing.type = ev.type
        existing.date = date.fromisoformat(ev.date) if ev.date else None
        existing.end_date = date.fromisoformat(ev.end_date) if ev.end_date else None
        existing.date_note = ev.date_note
        existing.themes = list(ev.themes)
        existing.title = ev.title
        existing.participants = list(ev.participants)
        existing.outputs = ev.outputs
        existing.source = f"{source}:{ev.source_line or ''}"
    session.flush()


def find_pairing(session: Session, a_id: int, b_id: int) -> Pairing | None:
    return session.scalar(
        select(Pairing).where(
            ((Pairing.city_a_id == a_id) & (Pairing.city_b_id == b_id))
            | ((Pairing.city_a_id == b_id) & (Pairing.city_b_id == a_id))
        )
    )


def apply_import(
    uow: UnitOfWork,
    result: ImportResult,
    *,
    force: bool = False,
    principal: Principal | None = None,
) -> ImportSummary:
    """Store an importer's result in one transaction and return what changed."""
    session = uow.session
    summary = ImportSummary(source=result.source, format=result.format, issues=list(result.issues))
    cities: dict[str, City] = {}
    for data in result.cities:
        cities[data.key] = upsert_city(session, data)
        summary.cities += 1
    for key, profile in result.profiles.items():
        city = cities.get(key) or ensure_city(session, key)
        upsert_profile(session, city, profile)
        summary.profiles += 1
    batch = []
    for item in result.initiatives:
        city = cities.get(item.city_key) or ensure_city(session, item.city_key)
        cities[city.key] = city
        batch.append((city, item))
    _import_initiatives(session, batch, force=force, principal=principal, summary=summary)
    for programme in result.programmes:
        _import_programme(session, programme, summary, result.source)
    audit.record(
        session,
        principal,
        kind=AuditKind.WRITE,
        action="knowledge.import",
        record_type="import",
        record_id=result.format,
        detail={
            "source": result.source,
            "created": len(summary.created),
            "updated": len(summary.updated),
            "kept": summary.kept_local_edits,
            "force": force,
        },
    )
    uow.commit()
    return summary


def reindex(uow: UnitOfWork) -> int:
    """Rebuild the full-text index from every initiative; returns how many were indexed."""
    session = uow.session
    index = SearchIndex(session)
    index.clear()
    items = list(session.scalars(select(Initiative)))
    index.put_many([document_of(i) for i in items])
    uow.commit()
    return len(items)
