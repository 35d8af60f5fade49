"""Server-rendered case pages: the task table of cases with urging (催办), a case with its
history, and filing a case.

Forms post here and are answered with a redirect (post/redirect/get); every action goes
through the same services, and so the same policy, as the JSON API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from rescity.community.cases import services as work_orders
from rescity.community.cases import sweep as case_sweep
from rescity.community.cases.adapters import Handler
from rescity.community.cases.deps import Runtime
from rescity.community.cases.domain import OPEN_STATUSES, CaseStatus, CaseType, Channel
from rescity.community.shared.deps import back, grant_place_ids
from rescity.core.errors import InputError
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


def _new_case_form(page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal, *,
                   chosen: str = "", values: dict[str, Any] | None = None,
                   errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    places = [uow.session.get(Place, pid) for pid in grant_place_ids(uow, principal)]
    types = list(rt.levels.types.values())
    labels = {"service_code": page.t("ops.cases.type"), "place": page.t("ops.common.place"),
              "description": page.t("ops.cases.description"),
              "address": page.t("ops.common.address")}
    for ty in types:
        for a in ty.attributes:
            labels[f"attr.{ty.code}.{a.code}"] = (a.description_en if page.lang == "en"
                                                  else a.description_zh)
    return page.render("community_ops/case_new.html", status_code=status_code, types=types,
                       places=[p for p in places if p is not None],
                       chosen=chosen or (types[0].code if types else ""), values=values or {},
                       errors=errors or {}, labels=labels)


def _field_of(where: str, case_type: CaseType | None) -> str:
    """A service's problem (``attribute[people_trapped]``, ``address_string``) → the form
    field it is about."""
    if where.startswith("attribute[") and case_type is not None:
        return f"attr.{case_type.code}.{where[len('attribute['):].rstrip(']')}"
    return {"address_string": "address"}.get(where, where)


def _said(page: Page, message: str) -> str:
    """The service's problem in the page's language, for the usual ones."""
    return {"is required": page.t("ops.cases.required"),
            "must be a number": page.t("ops.cases.number_needed")}.get(message, message)


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
) -> Response:
    where = uow.session.get(Place, place)
    case_type = rt.levels.types.get(service_code)
    prefix = f"attr.{service_code}."
    attributes = {k[len(prefix):]: v for k, v in answers.items() if k.startswith(prefix)}
    values: dict[str, Any] = {**answers, "description": description, "address": address,
                              "place": place}
    if where is None or place not in grant_place_ids(uow, principal):
        return _new_case_form(page, uow, rt, principal, chosen=service_code, values=values,
                              errors={"place": page.t("ops.cases.bad_place")}, status_code=422)
    data = work_orders.CaseInput(service_code=service_code, description=description,
                                 address=address, attributes=attributes)
    try:
        case = work_orders.file_case(uow, rt, principal, data, scope=where.path,
                                     channel=Channel.RESIDENT)
    except InputError as exc:
        # The form again, filled in as sent, each problem next to its field: never JSON.
        uow.session.rollback()
        errors = {_field_of(p.where, case_type): _said(page, p.message) for p in exc.problems}
        return _new_case_form(page, uow, rt, principal, chosen=service_code, values=values,
                              errors=errors, status_code=422)
    return back(f"/community/cases/{case.id}")


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
        handler=handler, events=events, allowed=allowed, zone=rt.zone,
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


