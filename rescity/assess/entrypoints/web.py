"""The assessment page and its JSON API: run an assessment in the background, then explore it.

Analysts and administrators only: every route depends on ``allow("assess.read")`` or
``allow("assess.run")`` (the policy in ``permissions.toml``). Starting a job is audited.
"""

from __future__ import annotations

import re
import secrets
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from rescity.assess.adapters import geojson
from rescity.assess.domain.indices import INDEX_NAMES
from rescity.assess.reporting.style import INDEX_LABELS
from rescity.assess.services.analyse import siting_json
from rescity.assess.services.jobs import JobRegistry
from rescity.assess.services.siting import item_gaps, site_facilities
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, Problem
from rescity.core.security.policy import Principal
from rescity.web.deps import Ctx, UoW, allow
from rescity.web.pages import Page

router = APIRouter(tags=["assess"])
SUFFIXES = (".osm.pbf", ".osm", ".osm.bz2")
ORIGIN_KINDS = ("landuse", "buildings", "h3")
_REGISTRY_LOCK = threading.Lock()  # guards the one-time creation of the app's registry

Reader = Annotated[Principal | None, Depends(allow("assess.read"))]
Runner = Annotated[Principal | None, Depends(allow("assess.run"))]


def get_registry(request: Request, ctx: Ctx) -> JobRegistry:
    """The app's job registry, created on first use and kept on ``app.state``."""
    state = request.app.state
    with _REGISTRY_LOCK:
        reg: JobRegistry | None = getattr(state, "assess_jobs", None)
        if reg is None:
            reg = JobRegistry(ctx.settings.data_dir / "assess" / "jobs")
            state.assess_jobs = reg
    return reg


Registry = Annotated[JobRegistry, Depends(get_registry)]


def configured_extracts(ctx: Ctx) -> dict[str, Path]:
    folder = ctx.settings.assess_extracts_dir
    if folder is None or not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.iterdir())
            if p.is_file() and p.name.endswith(SUFFIXES)}


@router.get("/assess", include_in_schema=False)
def assess_page(page: Page, ctx: Ctx, _who: Reader, jobs: Registry) -> Response:
    first = next(iter(jobs.all()), None)
    tax_items = _life_items()
    return page.render(
        "assess/page.html", extracts=list(configured_extracts(ctx)), origin_kinds=ORIGIN_KINDS,
        jobs=[j.public() for j in jobs.all()], latest=first.id if first else "",
        items=tax_items,
        indices=[{"id": i, "zh": INDEX_LABELS[i][0], "en": INDEX_LABELS[i][1]}
                 for i in INDEX_NAMES],
    )


def _life_items() -> list[dict[str, str]]:
    from rescity.assess.domain.config import build_config
    from rescity.assess.domain.taxonomy import load_taxonomy

    by_id = {it.id: it for it in load_taxonomy().items}
    return [{"id": i, "zh": by_id[i].zh, "en": by_id[i].en}
            for i in build_config().life_service.weights]


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name)[:120] or "extract.osm.pbf"


@router.post("/api/assess/jobs", status_code=202)
async def start_job(
    ctx: Ctx, uow: UoW, who: Runner, jobs: Registry,
    extract: Annotated[str, Form(max_length=300)] = "",
    origins: Annotated[str, Form(max_length=20)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> JSONResponse:
    """Start an assessment of a configured extract (``extract``) or an uploaded one."""
    if origins and origins not in ORIGIN_KINDS:
        raise InputError([Problem("origins", f"one of {', '.join(ORIGIN_KINDS)}")])
    if file is not None and file.filename:
        name = _safe_name(file.filename)
        if not name.endswith(SUFFIXES):
            raise InputError([Problem("file", "an .osm.pbf, .osm or .osm.bz2 extract")])
        folder = ctx.settings.data_dir / "assess" / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{secrets.token_hex(4)}-{name}"
        with path.open("wb") as fh:
            while chunk := await file.read(1 << 20):
                fh.write(chunk)
    else:
        known = configured_extracts(ctx)
        if extract not in known:
            raise InputError([Problem("extract", "choose a configured extract or upload one")])
        name, path = extract, known[extract]
    job = jobs.submit(path, extract=name, origins=origins or None,
                      owner=who.username if who else "anonymous")
    audit.record(uow.session, who, kind=AuditKind.WRITE, action="assess.run",
                 record_type="assess_job", record_id=job.id,
                 detail={"extract": name, "origins": origins or "default"})
    uow.commit()
    return JSONResponse(job.public(), status_code=202)


@router.get("/api/assess/jobs")
def list_jobs(_who: Reader, jobs: Registry) -> list[dict[str, Any]]:
    return [j.public() for j in jobs.all()]


@router.get("/api/assess/jobs/{job_id}")
def job_status(job_id: str, _who: Reader, jobs: Registry) -> dict[str, Any]:
    return jobs.get(job_id).public()


@router.get("/api/assess/jobs/{job_id}/network")
def job_network(job_id: str, _who: Reader, jobs: Registry) -> dict[str, Any]:
    return geojson.network(jobs.done(job_id).city.edges)


@router.get("/api/assess/jobs/{job_id}/origins")
def job_origins(job_id: str, _who: Reader, jobs: Registry) -> dict[str, Any]:
    city = jobs.done(job_id).city
    return geojson.origins(city.origins, city.crs)


@router.get("/api/assess/jobs/{job_id}/summary")
def job_summary(job_id: str, _who: Reader, jobs: Registry) -> dict[str, Any]:
    city = jobs.done(job_id).city
    s = city.summary
    return {
        "city": city.name, "origins": s.get("origins"), "population": s.get("population"),
        "network_km": s.get("network", {}).get("length_km"),
        "indices": {k: s["indices"][k] for k in INDEX_NAMES if k in s["indices"]},
        "labels": {k: {"zh": v[0], "en": v[1]} for k, v in INDEX_LABELS.items()},
        "missing_items": s.get("missing_items", []),
        "gaps": [g.__dict__ for g in item_gaps(city)],
    }


@router.get("/api/assess/jobs/{job_id}/origins/{oid}")
def origin_reach(job_id: str, oid: int, _who: Reader, jobs: Registry) -> dict[str, Any]:
    """What one origin reaches within the 15-minute walk, and its walk area."""
    ex = jobs.done(job_id)
    city = ex.city
    distance = city.config.thresholds.distances_m[-1]
    facilities = ex.reachable_facilities(oid, distance)
    for f in facilities:
        geom = city.facilities.geometry.iat[f["fid"]].representative_point()
        f["lon"], f["lat"] = geojson.point(geom.x, geom.y, city.crs)
    area = ex.walk_area(oid, distance)
    row = city.origins.iloc[oid]
    return {
        "oid": oid, "distance_m": distance, "label": city.config.thresholds.labels[-1],
        "population": float(row["population"]),
        "scores": {k: (None if row[k] != row[k] else float(row[k])) for k in INDEX_NAMES},
        "facilities": facilities,
        "walk_area": geojson.geometry(area, city.crs, oid=oid) if area is not None else None,
    }


@router.get("/api/assess/jobs/{job_id}/siting")
def job_siting(job_id: str, _who: Reader, jobs: Registry,
               item: Annotated[str, Query(max_length=60)] = "kindergarten",
               k: Annotated[int, Query(ge=1, le=50)] = 5) -> dict[str, Any]:
    """Greedy (and, when small, exact) maximal-covering sites for ``item``."""
    ex = jobs.done(job_id)
    res = site_facilities(ex.city, item, k, origin_snap=ex.origin_snap)
    out = siting_json(res)
    out["exact_optimal"] = bool(res.exact.optimal) if res.exact else None
    return out
