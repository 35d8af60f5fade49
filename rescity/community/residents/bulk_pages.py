"""The office's import page: upload a sheet, see the checked rows (a dry run), confirm.

The upload is always checked first and nothing is written; the preview then offers a
confirm button. Between the two steps the file waits on the server sealed with the data key
(it holds phones and ID numbers) under a random name, bound to the user and the place, and
is deleted on confirm or after :data:`STAGED_FOR`. The confirm step runs the same import
again, so a register changed in between is checked against what is stored then.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from rescity.community.residents.bulk import ImportReport, import_residents
from rescity.community.residents.bulk_export import export_residents
from rescity.community.residents.sheet import COLUMNS, MAX_BYTES
from rescity.community.shared.deps import Rt, allow_any
from rescity.community.shared.runtime import Runtime
from rescity.core.errors import InputError, Problem
from rescity.core.places import Place
from rescity.core.security.policy import Principal, visible_scopes
from rescity.web.deps import UoW
from rescity.web.pages import Page

router = APIRouter(prefix="/residents", include_in_schema=False)  # under /community
Importer = Annotated[Principal, Depends(allow_any("community.resident.create"))]
Reader = Annotated[Principal, Depends(allow_any("community.resident.read"))]
STAGED_FOR = 3600  # seconds
PREVIEW_ROWS = 50
_CONTEXT = "resident.import_staging"


def _places(uow: UoW, principal: Principal) -> list[Place]:
    scopes = visible_scopes(principal, "community.resident.create")
    return list(uow.session.scalars(select(Place).where(Place.path.in_(scopes))
                                    .order_by(Place.path)))


def _render(page: Page, uow: UoW, principal: Principal, *, status_code: int = 200,
            **context: Any) -> Response:
    return page.render("community/residents_import.html", status_code=status_code,
                       places=_places(uow, principal), columns=COLUMNS,
                       max_mb=MAX_BYTES // 2**20, preview_rows=PREVIEW_ROWS, **context)


def _folder(rt: Runtime) -> Path:
    folder = rt.settings.data_dir / "community" / "import-staging"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = time.time()
    for old in folder.glob("*.json"):
        if now - old.stat().st_mtime > STAGED_FOR:
            old.unlink(missing_ok=True)
    return folder


def _stage(rt: Runtime, principal: Principal, place: str, filename: str, data: bytes) -> str:
    token = secrets.token_urlsafe(18)
    sealed = rt.cipher.seal(base64.b64encode(data).decode(), context=_CONTEXT)
    record = {"user": principal.user_id, "place": place, "filename": filename, "data": sealed}
    path = _folder(rt) / f"{token}.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    path.chmod(0o600)
    return token


def _unstage(rt: Runtime, principal: Principal, token: str, place: str) -> tuple[str, bytes]:
    expired = InputError([Problem("staged", "this checked upload is unknown or expired; "
                                            "upload the file again")])
    if not token.replace("-", "").replace("_", "").isalnum():
        raise expired
    path = _folder(rt) / f"{token}.json"
    if not path.exists():
        raise expired
    record = json.loads(path.read_text(encoding="utf-8"))
    if record["user"] != principal.user_id or record["place"] != place:
        raise expired
    data = base64.b64decode(rt.cipher.open(record["data"], context=_CONTEXT))
    return str(record["filename"]), data


def _problems(exc: InputError, filename: str) -> list[Problem]:
    return [Problem(p.where.removeprefix(f"{filename}, "), p.message) for p in exc.problems]


@router.get("/import")
def import_form(page: Page, uow: UoW, principal: Importer) -> Response:
    return _render(page, uow, principal)


@router.post("/import")
async def import_check(
    page: Page, uow: UoW, rt: Rt, principal: Importer, file: UploadFile,
    place: Annotated[str, Form(max_length=64)],
) -> Response:
    """Check the uploaded sheet (nothing written) and show the preview with a confirm step."""
    data = await file.read(MAX_BYTES + 1)
    name = Path(file.filename or "upload.xlsx").name[:200]

    def run() -> Response:
        try:
            report = import_residents(uow, rt, principal, data=data, filename=name,
                                      place_code=place.strip(), dry_run=True)
        except InputError as exc:
            uow.rollback()
            return _render(page, uow, principal, status_code=422, filename=name,
                           place=place, problems=_problems(exc, name))
        staged = _stage(rt, principal, report.place, name, data)
        return _render(page, uow, principal, report=report, filename=name, place=report.place,
                       staged=staged)

    return await run_in_threadpool(run)


@router.post("/import/confirm")
def import_confirm(
    page: Page, uow: UoW, rt: Rt, principal: Importer,
    place: Annotated[str, Form(max_length=64)], staged: Annotated[str, Form(max_length=64)],
) -> Response:
    """Store the checked sheet, all or nothing (the same import, no longer a dry run)."""
    name = ""
    try:
        name, data = _unstage(rt, principal, staged, place)
        report: ImportReport = import_residents(uow, rt, principal, data=data, filename=name,
                                                place_code=place, dry_run=False)
    except InputError as exc:
        uow.rollback()
        return _render(page, uow, principal, status_code=422, filename=name, place=place,
                       problems=_problems(exc, name))
    (_folder(rt) / f"{staged}.json").unlink(missing_ok=True)
    return _render(page, uow, principal, done=report, filename=name, place=report.place)


@router.get("/export.xlsx")
def export_download(uow: UoW, rt: Rt, principal: Reader, place: str) -> Response:
    exported = export_residents(uow, rt, principal, place_code=place)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", place)[:64]
    return Response(
        exported.content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="residents-{safe}.xlsx"'},
    )
