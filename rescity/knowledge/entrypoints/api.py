"""JSON API of the knowledge module under /api/kb."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from rescity.core.errors import (
    AuthenticationRequired,
    InputError,
    NotFound,
    PermissionDenied,
    Problem,
)
from rescity.core.security.policy import Principal
from rescity.knowledge.adapters.orm import (
    Assessment,
    Event,
    Initiative,
    Pairing,
    Partner,
    Programme,
)
from rescity.knowledge.domain.countries import country_code
from rescity.knowledge.domain.model import Status
from rescity.knowledge.domain.taxonomy import terms
from rescity.knowledge.entrypoints.schemas import (
    CityProfileIn,
    CityProfileOut,
    CityPublic,
    CitySummary,
    ComponentOut,
    EventOut,
    GapOut,
    InitiativeCreate,
    InitiativePublic,
    InitiativeSummary,
    InitiativeUpdate,
    MatchesOut,
    MatchOut,
    PairingOut,
    PartnerOut,
    ProfileOut,
    ProgrammeOut,
    ReasonOut,
    RecommendationOut,
    ReviewIn,
    SearchHitOut,
    SearchOut,
    VersionOut,
    summary_of,
)
from rescity.knowledge.services import cooperation, initiatives, profiles
from rescity.knowledge.services.export import export_csv, export_json, rows_csv
from rescity.knowledge.services.initiatives import InitiativeInput
from rescity.knowledge.services.search import SearchQuery, search
from rescity.knowledge.services.tables import table_rows
from rescity.knowledge.services.versions import versions
from rescity.web.deps import CurrentPrincipal, OptionalPrincipal, UoW, allow

router = APIRouter(prefix="/api/kb", tags=["knowledge"])
ReadPublished = Annotated[Principal | None, Depends(allow("knowledge.initiative.read_published"))]
Submitter = Annotated[Principal, Depends(allow("knowledge.initiative.submit"))]
Reviewer = Annotated[Principal, Depends(allow("knowledge.initiative.review"))]


def search_query(
    q: Annotated[str, Query(max_length=200)] = "",
    country: Annotated[
        str, Query(max_length=60, description="ISO code or name (China, 中国, CN).")
    ] = "",
    city: Annotated[str, Query(max_length=120)] = "",
    theme: Annotated[str, Query(max_length=40)] = "",
    sdg: Annotated[str, Query(max_length=10)] = "",
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    status: Annotated[str, Query(max_length=20)] = "",
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "en",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchQuery:
    code = country_code(country)
    if country and not code:
        raise InputError(f"unknown country {country!r}", source="country")
    return SearchQuery(
        q=q,
        country=code,
        city=city,
        theme=theme,
        sdg=sdg,
        year=year,
        status=status,
        lang=lang,
        page=page,
        per_page=per_page,
    )


SearchParams = Annotated[SearchQuery, Depends(search_query)]


def _can_review(principal: Principal | None) -> bool:
    from rescity.core.security.policy import is_allowed

    return is_allowed(principal, "knowledge.initiative.review")


@router.get("/initiatives", response_model=SearchOut)
def list_initiatives(uow: UoW, principal: ReadPublished, query: SearchParams) -> SearchOut:
    """Search published initiatives (editors also see the others) with facets."""
    result = search(uow.session, query, include_unpublished=_can_review(principal))
    return SearchOut(
        total=result.total,
        page=result.query.page,
        pages=result.pages,
        per_page=result.query.per_page,
        hits=[
            SearchHitOut(
                **summary_of(h.item),
                score=h.score,
                title_highlight=str(h.title),
                snippet=str(h.snippet),
                why=[ReasonOut(**{**r.__dict__, "fields": list(r.fields)}) for r in h.why],
            )
            for h in result.hits
        ],
        facets={k: [v.__dict__ for v in vs] for k, vs in result.facets.items()},
    )


@router.get("/initiatives/{key}", response_model=InitiativePublic)
def get_initiative(key: str, uow: UoW, principal: OptionalPrincipal) -> InitiativePublic:
    return InitiativePublic.of(initiatives.get_visible(uow.session, principal, key))


def _input(body: InitiativeCreate) -> InitiativeInput:
    data = body.model_dump(exclude={"expected_version", "note"})
    data["figures"] = [f for f in data["figures"]]
    return InitiativeInput(**data)


@router.post("/initiatives", response_model=InitiativePublic, status_code=201)
def create_initiative(body: InitiativeCreate, uow: UoW, principal: Submitter) -> InitiativePublic:
    """Register an initiative; it is public once a knowledge editor publishes it."""
    return InitiativePublic.of(initiatives.submit(uow, principal, _input(body)))


@router.put("/initiatives/{key}", response_model=InitiativePublic)
def update_initiative(
    key: str, body: InitiativeUpdate, uow: UoW, principal: CurrentPrincipal
) -> InitiativePublic:
    item = initiatives.update(
        uow, principal, key, _input(body), note=body.note, expected_version=body.expected_version
    )
    return InitiativePublic.of(item)


@router.post("/initiatives/{key}/review", response_model=InitiativePublic)
def review_initiative(key: str, body: ReviewIn, uow: UoW, principal: Reviewer) -> InitiativePublic:
    return InitiativePublic.of(
        initiatives.review(uow, principal, key, body.decision, comment=body.comment)
    )


@router.get("/review-queue", response_model=list[InitiativeSummary])
def review_queue(uow: UoW, principal: Reviewer) -> list[InitiativeSummary]:
    return [
        InitiativeSummary(**summary_of(i)) for i in initiatives.review_queue(uow.session, principal)
    ]


def _history_of(uow: UoW, principal: Principal | None, key: str) -> Initiative:
    """The initiative whose history this principal may read (the page's rule)."""
    item = initiatives.get_visible(uow.session, principal, key)
    if not initiatives.can_see_history(principal, item):
        if principal is None:
            raise AuthenticationRequired("sign in to see the version history")
        raise PermissionDenied("the version history is for the owner and knowledge editors")
    return item


@router.get("/initiatives/{key}/versions", response_model=list[VersionOut])
def list_versions(key: str, uow: UoW, principal: OptionalPrincipal) -> list[VersionOut]:
    item = _history_of(uow, principal, key)
    return [
        VersionOut(
            version=v.version,
            status=v.status,
            author=v.author,
            note=v.note,
            created_at=v.created_at,
        )
        for v in versions(uow.session, item)
    ]


@router.get("/initiatives/{key}/diff")
def version_diff(
    key: str,
    uow: UoW,
    principal: OptionalPrincipal,
    from_: Annotated[int, Query(alias="from", ge=1)],
    to: Annotated[int, Query(ge=1)],
) -> dict[str, Any]:
    item = _history_of(uow, principal, key)
    return {
        "key": key,
        "from": from_,
        "to": to,
        "diff": initiatives.version_diff(uow.session, item, from_, to),
    }


@router.get("/cities/{key}", response_model=CityPublic)
def get_city(
    key: str, uow: UoW, _: Annotated[Principal | None, Depends(allow("knowledge.city.read"))]
) -> CityPublic:
    session = uow.session
    city = cooperation.city_or_404(session, key)
    assessment = session.scalar(select(Assessment).where(Assessment.city_id == city.id))
    items = session.scalars(
        select(Initiative).where(
            Initiative.city_id == city.id, Initiative.status == str(Status.PUBLISHED)
        )
    )
    return CityPublic(
        **CitySummary.of(city).model_dump(),
        lat=city.lat,
        lon=city.lon,
        profiles=[ProfileOut.of(p) for p in city.profiles],
        assessment=dict(assessment.indices) if assessment else None,
        initiatives=[InitiativeSummary(**summary_of(i)) for i in items],
    )


@router.get("/cities/{key}/matches", response_model=MatchesOut)
def city_matches(
    key: str,
    uow: UoW,
    _: Annotated[Principal | None, Depends(allow("knowledge.city.read"))],
    programme: str | None = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> MatchesOut:
    session = uow.session
    ranking = cooperation.match_city(session, key, programme=programme, limit=limit)
    ranked = []
    for m in ranking.ranked:
        cand = cooperation.city_or_404(session, m.candidate)
        ranked.append(
            MatchOut(
                candidate=CitySummary.of(cand),
                score=m.score,
                known_weight=m.known_weight,
                components=[
                    ComponentOut(
                        name=c.name,
                        weight=c.weight,
                        value=c.value,
                        contribution=c.contribution,
                        evidence=c.evidence,
                    )
                    for c in m.components
                ],
                reasons=m.reasons,
            )
        )
    apart = [
        CitySummary.of(cooperation.city_or_404(session, m.candidate)) for m in ranking.no_evidence
    ]
    return MatchesOut(ranked=ranked, no_evidence=apart)


@router.get("/cities/{key}/recommendations", response_model=list[RecommendationOut])
def city_recommendations(
    key: str,
    uow: UoW,
    _: Annotated[Principal | None, Depends(allow("knowledge.city.read"))],
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "en",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[RecommendationOut]:
    return [
        RecommendationOut(
            initiative=InitiativeSummary(**summary_of(r.initiative)),
            index=r.index,
            gap=GapOut(**r.gap.as_dict()),
            assessed_area=r.area,
            directness=r.directness.level,
            evidence=r.directness.evidence,
            score=r.score,
            reason=r.reason,
        )
        for r in cooperation.recommend(uow.session, key, lang=lang, limit=limit)
    ]


@router.post("/cities/{key}/assessment", status_code=201)
async def attach_assessment_api(
    key: str,
    request: Request,
    uow: UoW,
    principal: Annotated[Principal, Depends(allow("knowledge.city.update"))],
) -> dict[str, object]:
    """Attach a `rescity assess` summary.json (the request body) to the city."""
    try:
        data = await request.json()
    except ValueError:
        raise InputError([Problem("body", "not valid JSON")], source="assessment") from None
    row = cooperation.attach_summary(uow, principal, key, data, source=f"api upload for {key}")
    return {"city": key, "area": row.area, "indices": dict(row.indices)}


@router.patch("/cities/{key}/profile", response_model=CityProfileOut)
def update_city_profile(
    key: str,
    body: CityProfileIn,
    uow: UoW,
    principal: Annotated[Principal, Depends(allow("knowledge.city.update"))],
) -> CityProfileOut:
    """Correct or complete a city's profile; each changed field records who, when and why."""
    city = profiles.update_profile(
        uow,
        principal,
        key,
        body.model_dump(exclude_unset=True, exclude={"source"}),
        source=body.source,
    )
    return CityProfileOut.of(city)


@router.get("/taxonomies")
def taxonomies() -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for term in terms().values():
        out.setdefault(term.kind, []).append({"code": term.code, "en": term.en, "zh": term.zh})
    return out


@router.get("/export")
def export(
    uow: UoW,
    principal: ReadPublished,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    table: Annotated[
        str, Query(pattern="^(initiatives|programmes|pairings|events|plans)$")
    ] = "initiatives",
) -> Response:
    """Published initiatives, or one cooperation table; action plans for editors only."""
    if table == "initiatives":
        if format == "csv":
            body, media = export_csv(uow.session), "text/csv; charset=utf-8"
        else:
            body, media = export_json(uow.session), "application/json"
    else:
        if table == "plans" and not _can_review(principal):
            raise PermissionDenied("action plans are exported for knowledge editors only")
        rows = table_rows(uow.session, table)
        if format == "csv":
            body, media = rows_csv(rows), "text/csv; charset=utf-8"
        else:
            body = json.dumps({"table": table, "rows": rows}, ensure_ascii=False, indent=2)
            media = "application/json"
    headers = {"Content-Disposition": f"attachment; filename={table}.{format}"}
    return Response(body, media_type=media, headers=headers if format == "csv" else None)


def _pairing_out(p: Pairing) -> PairingOut:
    return PairingOut(
        id=p.id,
        city_a=CitySummary.of(p.city_a),
        city_b=CitySummary.of(p.city_b),
        topic=p.topic,
        status=p.status,
        confirmed_a=p.confirmed_a,
        confirmed_b=p.confirmed_b,
        source=p.source,
    )


@router.get("/programmes/{key}", response_model=ProgrammeOut)
def get_programme(
    key: str, uow: UoW, _: Annotated[Principal | None, Depends(allow("knowledge.city.read"))]
) -> ProgrammeOut:
    """A programme with its partner cities, pairings and events."""
    session = uow.session
    prog = session.scalar(select(Programme).where(Programme.key == key))
    if prog is None:
        raise NotFound(f"no programme '{key}'")
    partners = session.scalars(select(Partner).where(Partner.programme_id == prog.id))
    pairings = session.scalars(select(Pairing).where(Pairing.programme_id == prog.id))
    events = session.scalars(
        select(Event).where(Event.programme_id == prog.id).order_by(Event.date)
    )
    return ProgrammeOut(
        key=prog.key,
        name_en=prog.name_en,
        name_zh=prog.name_zh,
        period=prog.period,
        clusters=list(prog.clusters or []),
        partners=[
            PartnerOut(
                city=CitySummary.of(p.city),
                region=p.region,
                role=p.role,
                clusters=list(p.clusters or []),
            )
            for p in partners
        ],
        pairings=[_pairing_out(p) for p in pairings],
        events=[
            EventOut(
                key=e.key,
                type=e.type,
                date=e.date,
                title=e.title,
                participants=list(e.participants or []),
                outputs=e.outputs,
            )
            for e in events
        ],
    )
