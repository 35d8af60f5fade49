"""The places page for administrators: the hierarchy drawn on a map, and boundary imports.

The map has no background tiles: the boundaries themselves are the map. The upload runs the
same import as ``rescity places import`` (all or nothing); problems come back on the page.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError
from rescity.core.places import LEVEL_ORDER, Place, PlaceLevel
from rescity.core.security.policy import Principal
from rescity.web.deps import UoW, allow
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)
MAX_FILE_MB = 50
Admin = Annotated[Principal, Depends(allow("place.manage"))]


def _places(uow: UoW) -> list[Place]:
    return list(uow.session.scalars(select(Place).order_by(Place.path)))


def _render(page: Page, uow: UoW, **context: Any) -> Response:
    places = _places(uow)
    depth = {p.id: LEVEL_ORDER.index(PlaceLevel(p.level)) for p in places}
    return page.render("admin/places.html", places=places, depth=depth,
                       with_boundaries=sum(1 for p in places if p.boundary),
                       max_mb=MAX_FILE_MB, **context)


@router.get("/admin/places")
def places_page(page: Page, uow: UoW, _: Admin) -> Response:
    return _render(page, uow)


@router.get("/admin/places.geojson")
def places_geojson(uow: UoW, _: Admin) -> Response:
    """Every stored boundary as a FeatureCollection (outermost first, so inner ones draw on
    top)."""
    features = [
        {"type": "Feature", "geometry": json.loads(p.boundary),
         "properties": {"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en,
                        "level": p.level, "depth": LEVEL_ORDER.index(PlaceLevel(p.level))}}
        for p in _places(uow) if p.boundary
    ]
    features.sort(key=lambda f: int(f["properties"]["depth"]))
    return JSONResponse({"type": "FeatureCollection", "features": features})


@router.post("/admin/places/import")
async def places_import(
    page: Page, uow: UoW, principal: Admin, file: UploadFile,
    dry_run: Annotated[bool, Form()] = False,
) -> Response:
    from rescity.core.boundaries.importer import import_places
    from rescity.core.boundaries.sources import GEOJSON_SUFFIXES, read_features

    data = await file.read(MAX_FILE_MB * 1024 * 1024 + 1)
    if len(data) > MAX_FILE_MB * 1024 * 1024:
        return await run_in_threadpool(
            _render, page, uow, status_code=413,
            problems=[{"where": file.filename or "", "message":
                       page.t("places.admin.too_large", mb=MAX_FILE_MB)}])
    name = Path(file.filename or "upload.geojson").name
    suffix = Path(name).suffix.lower() or GEOJSON_SUFFIXES[0]

    def run() -> Response:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                features = read_features(path, t=page.t)
                report = import_places(uow.session, features, dry_run=dry_run, t=page.t)
            except InputError as exc:
                uow.rollback()
                problems = [{"where": p.where.replace(str(path), name), "message": p.message}
                            for p in exc.problems]
                return _render(page, uow, status_code=422, problems=problems, filename=name)
        if dry_run:
            uow.rollback()
        else:
            audit.record(uow.session, principal, kind=AuditKind.WRITE, action="place.import",
                         record_type="place", record_id=name[:64],
                         detail={"created": len(report.created),
                                 "updated": len(report.updated)})
            uow.commit()
        return _render(page, uow, report=report, filename=name)

    return await run_in_threadpool(run)
