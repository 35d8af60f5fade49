"""JSON API under ``/api/outbreak``: case records and exact tables for health officers, the
transmission chain, releases and the ledger; and the one public endpoint, the published
statistics (stored noised releases only, never the exact counts)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from rescity.community.outbreak import cases, chain, public_map, publish
from rescity.community.outbreak.adapters import Release
from rescity.community.outbreak.deps import Runtime
from rescity.community.outbreak.domain import CaseInput, CaseStatus, Granularity
from rescity.core.errors import NotFound
from rescity.core.i18n import Translator
from rescity.core.places import get_place
from rescity.core.security.policy import Principal
from rescity.web.deps import CurrentPrincipal, T, UoW, allow

router = APIRouter(prefix="/api/outbreak", tags=["community: outbreak"])
TEXT_FIELDS = ("cluster", "building", "address", "note")
MAX_ID = 2**31 - 1  # the largest id column value on PostgreSQL: refuse larger ids up front


class CaseCreate(BaseModel):
    status: CaseStatus
    resident_id: int | None = None
    grid: str = Field(default="", max_length=64, description="grid code, without a resident")
    building: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=300)
    lat: float | None = None
    lon: float | None = None
    note: str = Field(default="", max_length=1000)
    onset_date: date | None = None
    confirmed_date: date | None = None
    recovered_date: date | None = None
    source_case_id: int | None = None
    cluster: str = Field(default="", max_length=100)
    exposure_date: date | None = None


class CaseUpdate(BaseModel):
    status: CaseStatus | None = None
    onset_date: date | None = None
    confirmed_date: date | None = None
    recovered_date: date | None = None
    source_case_id: int | None = None
    cluster: str | None = Field(default=None, max_length=100)
    exposure_date: date | None = None
    building: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=300)
    note: str | None = Field(default=None, max_length=1000)


class CaseOut(BaseModel):
    id: int
    status: str
    grid: str
    building: str
    resident_id: int | None
    resident_name: str
    address: str
    lat: float | None
    lon: float | None
    note: str
    onset_date: date | None
    confirmed_date: date | None
    recovered_date: date | None
    source_case_id: int | None
    cluster: str
    exposure_date: date | None


class ReleaseCreate(BaseModel):
    place: str = Field(max_length=64)
    granularity: Granularity = Granularity.DAY
    first_day: date
    last_day: date


class CellOut(BaseModel):
    grid: str
    period: date
    count: int | None = Field(description="noised count; null when below k (withheld)")


class ReleaseOut(BaseModel):
    id: int
    place: str
    granularity: str
    first_day: date
    last_day: date
    epsilon: float
    noise_scale: float
    k: int
    mechanism: str = "discrete Laplace (OpenDP), sensitivity 1 per release"
    released_at: datetime
    boundaries: str = Field(description="GeoJSON outlines of the release's grids")
    cells: list[CellOut]


def _out(view: cases.CaseView) -> CaseOut:
    return CaseOut(**{k: v for k, v in view.as_dict().items() if k in CaseOut.model_fields})


def release_out(release: Release, place_code: str) -> ReleaseOut:
    return ReleaseOut(
        id=release.id, place=place_code, granularity=release.granularity,
        first_day=release.first_day, last_day=release.last_day, epsilon=release.epsilon,
        noise_scale=release.scale, k=release.k, released_at=release.released_at,
        boundaries=public_map.geojson_url(release.id),
        cells=[CellOut(grid=c["grid"], period=c["period"], count=c["count"])
               for c in release.cells],
    )


@router.post("/cases", status_code=status.HTTP_201_CREATED)
def create_case(body: CaseCreate, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> CaseOut:
    return _out(cases.record_case(uow, rt, principal, CaseInput(**body.model_dump())))


@router.get("/cases")
def list_cases(uow: UoW, rt: Runtime, principal: CurrentPrincipal, place: str = "",
               purpose: Annotated[str, Query(max_length=200)] = "") -> list[CaseOut]:
    return [_out(v) for v in cases.list_cases(uow, rt, principal, place_code=place,
                                              purpose=purpose)]


@router.get("/cases/{case_id}")
def read_case(case_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
              purpose: Annotated[str, Query(max_length=200)] = "") -> CaseOut:
    return _out(cases.get_case(uow, rt, principal, case_id, purpose=purpose))


@router.patch("/cases/{case_id}")
def update_case(case_id: int, body: CaseUpdate, uow: UoW, rt: Runtime,
                principal: CurrentPrincipal) -> CaseOut:
    changes = body.model_dump(exclude_unset=True)
    # An explicit null clears a text field and leaves the status as it is.
    changes = {k: ("" if v is None and k in TEXT_FIELDS else v) for k, v in changes.items()
               if not (k == "status" and v is None)}
    return _out(cases.update_case(uow, rt, principal, case_id, changes))


@router.get("/table")
def exact_table(uow: UoW, principal: CurrentPrincipal, place: str, first_day: date,
                last_day: date, granularity: Granularity = Granularity.DAY) -> dict[str, Any]:
    return publish.exact_table(uow, principal, place_code=place, granularity=granularity,
                               first=first_day, last=last_day)


def chain_labels(t: Translator) -> dict[str, str]:
    return {"title": t("ob.chain.title"), "cluster": t("ob.chain.cluster"),
            **{s.value: t(f"ob.status.{s.value}") for s in CaseStatus}}


@router.get("/chain.svg")
def chain_svg(uow: UoW, principal: CurrentPrincipal, t: T, place: str) -> Response:
    nodes = cases.chain_nodes(uow, principal, place_code=place)
    return Response(chain.render(nodes, labels=chain_labels(t)), media_type="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


@router.post("/releases", status_code=status.HTTP_201_CREATED)
def create_release(body: ReleaseCreate, uow: UoW, rt: Runtime,
                   principal: CurrentPrincipal) -> ReleaseOut:
    made = publish.release(uow, rt, principal, place_code=body.place,
                           granularity=body.granularity, first=body.first_day,
                           last=body.last_day)
    return release_out(made, body.place)


@router.get("/ledger")
def ledger(uow: UoW, rt: Runtime, principal: CurrentPrincipal, place: str) -> dict[str, Any]:
    where = get_place(uow.session, place)
    entries = publish.ledger(uow.session, principal, where)
    return {"budget": rt.settings.outbreak_dp_budget,
            "left": publish.budget_left(uow.session, rt.settings, where),
            "entries": [{"at": e.at, "epsilon": e.epsilon_micro / publish.MICRO,
                         "release_id": e.release_id} for e in entries]}


@router.get("/statistics")
def statistics(uow: UoW, rt: Runtime, place: str,
               _who: Annotated[Principal | None,
                               Depends(allow("community.outbreak.read_published"))] = None,
               ) -> dict[str, Any]:
    """Public: the stored releases of a place and below, with ε, k and the budget left."""
    where = get_place(uow.session, place)
    found = publish.releases_for(uow.session, where)
    codes = publish.place_codes(uow.session, {r.place_id for r in found})
    return {
        "place": where.code,
        "budget": rt.settings.outbreak_dp_budget,
        "budget_left": publish.budget_left(uow.session, rt.settings, where),
        "releases": [release_out(r, codes[r.place_id]).model_dump(mode="json")
                     for r in found],
    }


@router.get("/statistics/{release_id}/grids")
def release_grids(
    release_id: Annotated[int, Path(ge=1, le=MAX_ID)], uow: UoW,
    _who: Annotated[Principal | None, Depends(allow("community.outbreak.read_published"))] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Public: the outlines of the grids in a release (code, names, geometry; no other place),
    cacheable: a client sending the ETag back gets 304 until an outline changes."""
    found = uow.session.get(Release, release_id)
    if found is None:
        raise NotFound(f"no release {release_id}")
    body, tag = public_map.grids_geojson(uow.session, found)
    headers = {"ETag": tag, "Cache-Control": "public, max-age=3600"}
    if if_none_match == tag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type="application/geo+json", headers=headers)
