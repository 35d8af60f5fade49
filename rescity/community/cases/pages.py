"""Server-rendered case pages: the task table of cases with urging (催办), a case with its
history and photos, and filing a case (with a place on the map and photos).

Forms post here and are answered with a redirect (post/redirect/get); every action goes
through the same services, and so the same policy, as the JSON API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile as UploadedFile  # what the form parser makes

from rescity.community.cases import photos as case_photos
from rescity.community.cases import services as work_orders
from rescity.community.cases import sweep as case_sweep
from rescity.community.cases.adapters import Handler
from rescity.community.cases.deps import Runtime
from rescity.community.cases.domain import OPEN_STATUSES, CaseStatus, CaseType, Channel
from rescity.community.cases.photos import CleanPhoto, PhotoTooLarge
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.shared.deps import back, grant_place_ids
from rescity.community.shared.forms import refuse_nul
from rescity.community.shared.location import form_point, place_of_point
from rescity.core.errors import InputError, Problem
from rescity.core.i18n import Translator
from rescity.core.places import Place
from rescity.core.security.policy import is_allowed
from rescity.web.deps import CurrentPrincipal, UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


@router.get("/community/cases")
def cases_page(page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
               overdue: int = 0, done: str = "") -> Response:
    f = case_sweep.CaseFilter(
        status=tuple(s.value for s in OPEN_STATUSES) if overdue else (), overdue=bool(overdue),
        limit=200)
    rows = case_sweep.list_cases(uow.session, rt, principal, f)
    handlers = {h.id: h for h in uow.session.scalars(select(Handler))}
    now = rt.now()
    items = [{
        "case": c, "type": rt.levels.types.get(c.service_code),
        "handler": handlers.get(c.handler_id or 0),
        "deadline": c.deadline_at.astimezone(rt.zone).strftime("%Y-%m-%d %H:%M"),
        "overdue": CaseStatus(c.status) in OPEN_STATUSES and c.deadline_at < now,
        "can_urge": CaseStatus(c.status) in OPEN_STATUSES and is_allowed(
            principal, "community.case.urge", work_orders.case_target(c)),
    } for c in rows]
    return page.render("community_ops/cases.html", items=items, overdue=bool(overdue),
                       done=done, can_file=True)


@router.post("/community/cases/{case_id}/urge")
def urge_form(case_id: int, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
              note: Annotated[str, Form(max_length=2000)] = "",
              next: Annotated[str, Form(max_length=200)] = "/community/cases") -> Response:
    work_orders.urge(uow, rt, principal, case_id, note)
    target = next if next.startswith("/community/") else "/community/cases"
    return back(f"{target}{'&' if '?' in target else '?'}done=urged")


async def posted_attributes(request: Request) -> dict[str, str]:
    """The report form's answers to the case types' questions (fields ``attr.<type>.<code>``;
    Starlette parses the form once, so this reads what the route's ``Form`` fields read)."""
    form = await request.form()
    return {k: v for k, v in form.items() if k.startswith("attr.") and isinstance(v, str)}


def _new_case_form(page: Page, uow: UoW, rt: OpsRuntime, principal: CurrentPrincipal, *,
                   chosen: str = "", values: dict[str, Any] | None = None,
                   errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    places = [uow.session.get(Place, pid) for pid in grant_place_ids(uow, principal)]
    types = list(rt.levels.types.values())
    labels = {"service_code": page.t("ops.cases.type"), "place": page.t("ops.common.place"),
              "description": page.t("ops.cases.description"),
              "address": page.t("ops.common.address"), "location": page.t("ops.picker.legend"),
              "lat": page.t("ops.picker.legend"), "lon": page.t("ops.picker.legend")}
    for ty in types:
        for a in ty.attributes:
            labels[f"attr.{ty.code}.{a.code}"] = (a.description_en if page.lang == "en"
                                                  else a.description_zh)
    values = values or {}
    return page.render("community_ops/case_new.html", status_code=status_code, types=types,
                       places=[p for p in places if p is not None],
                       chosen=chosen or (types[0].code if types else ""), values=values,
                       form={"lat": values.get("lat", ""), "lon": values.get("lon", "")},
                       errors=errors or {}, labels=labels,
                       max_size=case_photos.size_text(rt.settings.community_photo_max_bytes),
                       max_photos=case_photos.MAX_PHOTOS)


def _field_of(where: str, case_type: CaseType | None) -> str:
    """A service's problem (``attribute[people_trapped]``, ``address_string``,
    ``photos: x.jpg``) → the form field it is about."""
    if where.startswith("attribute[") and case_type is not None:
        return f"attr.{case_type.code}.{where[len('attribute['):].rstrip(']')}"
    if where.startswith("photos"):
        return "photos"
    return {"address_string": "address"}.get(where, where)


def _said(page: Page, message: str) -> str:
    """The service's problem in the page's language, for the usual ones."""
    return {"is required": page.t("ops.cases.required"),
            "must be a number": page.t("ops.cases.number_needed")}.get(message, message)


def _errors_of(page: Page, problems: list[Problem], case_type: CaseType | None) -> dict[str, str]:
    """Problems keyed by the field they are about; several on one field are joined."""
    errors: dict[str, str] = {}
    for p in problems:
        field = _field_of(p.where, case_type)
        said = _said(page, p.message)
        errors[field] = f"{errors[field]}; {said}" if field in errors else said
    return errors


@router.get("/community/cases/new")
def new_case_page(page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal) -> Response:
    return _new_case_form(page, uow, rt, principal)


@router.post("/community/cases/new")
def new_case_form(
    page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    service_code: Annotated[str, Form(max_length=40)],
    place: Annotated[int, Form()],
    answers: Annotated[dict[str, str], Depends(posted_attributes)],
    description: Annotated[str, Form(max_length=4000)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    lat: Annotated[str, Form(max_length=40)] = "",
    lon: Annotated[str, Form(max_length=40)] = "",
    # str: an empty file part some clients send when no photo was chosen
    photos: Annotated[list[UploadFile | str] | None, File()] = None,
) -> Response:
    """File a case from the page: coordinates from the map picker (optional) route it to the
    grid containing them; photos are checked, cleaned and stored with it. Problems come back
    on the form (422, or 413 for a photo over the size limit), with what was typed kept."""
    where = uow.session.get(Place, place)
    case_type = rt.levels.types.get(service_code)
    prefix = f"attr.{service_code}."
    attributes = {k[len(prefix):]: v for k, v in answers.items() if k.startswith(prefix)}
    values: dict[str, Any] = {**answers, "description": description, "address": address,
                              "place": place, "lat": lat, "lon": lon}
    if where is None or place not in grant_place_ids(uow, principal):
        return _new_case_form(page, uow, rt, principal, chosen=service_code, values=values,
                              errors={"place": page.t("ops.cases.bad_place")}, status_code=422)
    try:
        refuse_nul({**answers, "service_code": service_code, "description": description,
                    "address": address, "lat": lat, "lon": lon}, t=page.t)
        at_lat, at_lon = form_point(lat, lon, t=page.t)
        place_of_point(uow.session, at_lat, at_lon, within=where, field="location", t=page.t)
        cleaned = _photos(rt, [f for f in photos or [] if isinstance(f, UploadedFile)
                               and f.filename], t=page.t)
        data = work_orders.CaseInput(service_code=service_code, description=description,
                                     address=address, attributes=attributes, lat=at_lat,
                                     lon=at_lon)
        case = work_orders.file_case(uow, rt, principal, data, scope=where.path,
                                     channel=Channel.RESIDENT, photos=cleaned)
    except InputError as exc:
        # The form again, filled in as sent, each problem next to its field: never JSON.
        uow.rollback()
        return _new_case_form(page, uow, rt, principal, chosen=service_code, values=values,
                              errors=_errors_of(page, exc.problems, case_type),
                              status_code=exc.status_code)
    return back(f"/community/cases/{case.id}")


def _photos(rt: OpsRuntime, files: list[UploadedFile], *, t: Translator) -> list[CleanPhoto]:
    """Each uploaded photo checked and cleaned; every problem at once (413 if any is too
    large, else 422)."""
    if len(files) > case_photos.MAX_PHOTOS:
        raise InputError([Problem("photos", t("ops.photo.too_many",
                                              n=case_photos.MAX_PHOTOS))], source="photo")
    limit = rt.settings.community_photo_max_bytes
    cleaned: list[CleanPhoto] = []
    problems: list[Problem] = []
    too_large = False
    for f in files:
        name = f"photos: {Path(f.filename or '').name[:100]}"
        try:
            cleaned.append(case_photos.clean(f.file.read(limit + 1), where=name,
                                             max_bytes=limit, t=t))
        except InputError as exc:
            too_large = too_large or isinstance(exc, PhotoTooLarge)
            problems.extend(exc.problems)
    if problems:
        raise (PhotoTooLarge if too_large else InputError)(problems, source="photo")
    return cleaned


@router.get("/community/cases/{case_id}/photos/{photo_id}")
def case_photo(case_id: int, photo_id: int, uow: UoW, rt: Runtime,
               principal: CurrentPrincipal, thumb: bool = False) -> Response:
    """A photo of a case (``?thumb=1``: its thumbnail), for whoever may read the case;
    anyone else gets 404, as for the case itself."""
    case = work_orders.get_case(uow.session, principal, case_id, "community.case.read")
    path, content_type = case_photos.file_of(uow.session, rt.settings.data_dir, case,
                                             photo_id, thumb=thumb)
    return FileResponse(path, media_type=content_type,
                        headers={"Cache-Control": "private, max-age=3600"})


@router.get("/community/cases/{case_id}")
def case_page(case_id: int, page: Page, uow: UoW, rt: Runtime,
              principal: CurrentPrincipal) -> Response:
    case = work_orders.get_case(uow.session, principal, case_id, "community.case.read")
    events = case_sweep.history(uow.session, principal, case_id)
    target = work_orders.case_target(case)
    handler = uow.session.get(Handler, case.handler_id) if case.handler_id else None
    status = CaseStatus(case.status)
    allowed = {
        "accept": status == CaseStatus.DISPATCHED
        and is_allowed(principal, "community.case.update", target),
        "resolve": status in (CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS)
        and is_allowed(principal, "community.case.update", target),
        "urge": status in OPEN_STATUSES and is_allowed(principal, "community.case.urge", target),
        "rate": status == CaseStatus.RESOLVED
        and is_allowed(principal, "community.case.rate", target),
        "reopen": status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
        and is_allowed(principal, "community.case.reopen", target),
    }
    return page.render(
        "community_ops/case.html", case=case, type=rt.levels.types.get(case.service_code),
        handler=handler, photos=case_photos.of_case(uow.session, case.id), events=events,
        allowed=allowed, zone=rt.zone,
        overdue=status in OPEN_STATUSES and case.deadline_at < rt.now())


@router.post("/community/cases/{case_id}/{step}")
def case_step_form(
    case_id: int, step: str, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    resolution: Annotated[str, Form(max_length=2000)] = "",
    evidence: Annotated[str, Form(max_length=2000)] = "",
    rating: Annotated[int, Form()] = 0,
    comment: Annotated[str, Form(max_length=500)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if step == "accept":
        work_orders.accept(uow, rt, principal, case_id)
    elif step == "resolve":
        work_orders.resolve(uow, rt, principal, case_id, resolution=resolution,
                            evidence=[e for e in evidence.split() if e])
    elif step == "rate":
        work_orders.rate(uow, rt, principal, case_id, rating=rating, comment=comment)
    elif step == "reopen":
        work_orders.reopen(uow, rt, principal, case_id, reason=reason)
    return back(f"/community/cases/{case_id}")


