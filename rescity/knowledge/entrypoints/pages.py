"""Server-rendered pages: search with filters, initiative detail, city profile, submit, review."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.core.errors import DataFileError, InputError, NotFound, PermissionDenied, Problem
from rescity.core.security.policy import Principal, is_allowed
from rescity.knowledge.adapters.orm import Assessment, City, Initiative
from rescity.knowledge.adapters.search_index import record_keywords
from rescity.knowledge.domain.assessment import index_label
from rescity.knowledge.domain.countries import countries
from rescity.knowledge.domain.model import ProfileData as _Profile
from rescity.knowledge.domain.model import Status, density_mismatch
from rescity.knowledge.domain.provenance import provenance
from rescity.knowledge.domain.taxonomy import crosswalk, label, terms
from rescity.knowledge.entrypoints.api import SearchParams
from rescity.knowledge.services import cooperation, initiatives
from rescity.knowledge.services.initiatives import InitiativeInput, split_lines
from rescity.knowledge.services.recommendations import stored_gaps
from rescity.knowledge.services.search import search
from rescity.knowledge.services.versions import versions
from rescity.web.deps import CurrentPrincipal, OptionalPrincipal, UoW, allow
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)
FIGURE_ROWS = 3
MAX_SUMMARY_BYTES = 5_000_000


def _provenance_of(item: Any) -> Any:
    return provenance(item.source_document, page=item.source_page, section=item.source_section)


def _common(page: Page) -> dict[str, Any]:
    return {
        "label": label,
        "index_label": index_label,
        "provenance_of": _provenance_of,
        "keywords_of": record_keywords,
    }


@router.get("/kb")
def search_page(
    page: Page, uow: UoW, principal: OptionalPrincipal, query: SearchParams, request: Request
) -> Response:
    if "lang" not in request.query_params:
        query = type(query)(**{**query.__dict__, "lang": page.lang})
    result = search(
        uow.session, query, include_unpublished=is_allowed(principal, "knowledge.initiative.review")
    )
    params = {k: v for k, v in request.query_params.items() if k != "page" and v}

    def facet_href(facet: str, value: str) -> str:
        chosen = {k: v for k, v in params.items() if k != facet}
        if params.get(facet) != value:
            chosen[facet] = value
        return "/kb?" + urlencode(chosen)

    def page_href(n: int) -> str:
        return "/kb?" + urlencode({**params, "page": n})

    return page.render(
        "knowledge/search.html",
        result=result,
        q=query,
        params=params,
        facet_href=facet_href,
        page_href=page_href,
        **_common(page),
    )


@router.get("/kb/initiatives/{key}")
def initiative_page(
    key: str,
    page: Page,
    uow: UoW,
    principal: OptionalPrincipal,
    diff_from: int | None = None,
    diff_to: int | None = None,
) -> Response:
    item = initiatives.get_visible(uow.session, principal, key)
    see_history = initiatives.can_see_history(principal, item)
    history = versions(uow.session, item) if see_history else []
    diff_text = ""
    if diff_from and diff_to and see_history:
        diff_text = initiatives.version_diff(uow.session, item, diff_from, diff_to)
    owner = principal is not None and item.owner_id == principal.user_id
    can_edit = principal is not None and initiatives.can_edit(principal, item)
    return page.render(
        "knowledge/initiative.html",
        item=item,
        history=history,
        diff_text=diff_text,
        diff_from=diff_from,
        diff_to=diff_to,
        is_owner=owner,
        can_edit=can_edit,
        can_review=is_allowed(principal, "knowledge.initiative.review"),
        **_common(page),
    )


@router.get("/kb/cities/{key}")
def city_page(
    key: str,
    page: Page,
    uow: UoW,
    principal: Annotated[Principal | None, Depends(allow("knowledge.city.read"))],
) -> Response:
    session = uow.session
    city = cooperation.city_or_404(session, key)
    items = list(
        session.scalars(
            select(Initiative).where(
                Initiative.city_id == city.id, Initiative.status == str(Status.PUBLISHED)
            )
        )
    )
    assessment = session.scalar(select(Assessment).where(Assessment.city_id == city.id))
    recs = cooperation.recommend(session, key, lang=page.lang, limit=5) if assessment else []
    gaps_measured = stored_gaps(assessment) if assessment else []
    matches = cooperation.match_city(session, key, limit=5)
    names = {c.key: c.name(page.lang) for c in session.scalars(select(City))}
    gaps = {}
    for p in city.profiles:
        gap = density_mismatch(
            _Profile(
                population=p.population,
                land_area_km2=p.land_area_km2,
                stated_density=p.stated_density,
            )
        )
        gaps[p.id] = gap
    return page.render(
        "knowledge/city.html",
        city=city,
        items=items,
        assessment=assessment,
        recs=recs,
        gaps_measured=gaps_measured,
        can_attach=is_allowed(principal, "knowledge.city.update"),
        matches=matches,
        names=names,
        gaps=gaps,
        **_common(page),
    )


@router.post("/kb/cities/{key}/assessment")
async def attach_assessment_page(
    key: str,
    request: Request,
    uow: UoW,
    principal: Annotated[Principal, Depends(allow("knowledge.city.update"))],
) -> Response:
    """Attach an uploaded summary.json (from `rescity assess`) to the city."""
    form = await request.form()
    upload = form.get("summary")
    if upload is None or isinstance(upload, str):
        raise InputError([Problem("summary", "choose a summary.json file")], source="assessment")
    raw = await upload.read(MAX_SUMMARY_BYTES + 1)
    if len(raw) > MAX_SUMMARY_BYTES:
        raise InputError([Problem("summary", "larger than 5 MB")], source=upload.filename or "")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(upload.filename or "summary.json", f"not JSON: {exc}") from None
    cooperation.attach_summary(uow, principal, key, data, source=upload.filename or "upload")
    return RedirectResponse(f"/kb/cities/{key}#kb-assessment", status_code=303)


def _form_input(form: Any) -> tuple[InitiativeInput, list[dict[str, Any]]]:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    figures: list[dict[str, Any]] = []
    for n in range(FIGURE_ROWS):
        keys = ("indicator", "baseline", "value", "unit", "year")
        row = {k: text(f"figure_{n}_{k}") for k in keys}
        if any(row.values()):
            figures.append({**row, "status": text(f"figure_{n}_status") or "achieved"})
    year = text("year")
    tags = [t.strip() for t in text("tags").replace("，", ",").split(",") if t.strip()]
    data = InitiativeInput(
        city=text("city"),
        key_measures_en=split_lines(text("key_measures_en")),
        key_measures_zh=split_lines(text("key_measures_zh")),
        figures=figures,
        # a year that is not a number is kept as an impossible one, so that validation
        # names it instead of dropping it
        year=(int(year) if re.fullmatch(r"-?\d{1,6}", year) else 0) if year else None,
        tags=tags or None,
    )
    for name in _TEXT_INPUTS:
        setattr(data, name, text(name))
    return data, figures


_TEXT_INPUTS = (
    *(
        f"{n}_{lang}"
        for n in (
            "title",
            "abstract",
            "background",
            "innovative_aspects",
            "outcomes",
            "lessons",
            "transferability",
        )
        for lang in ("en", "zh")
    ),
    "budget",
    "period",
    "stakeholders",
    "contact",
    "source",
)


def _form_of(data: InitiativeInput) -> dict[str, str]:
    """The form fields that show an initiative's current content (for the edit page)."""
    form = {name: str(getattr(data, name) or "") for name in _TEXT_INPUTS}
    form["city"] = data.city
    form["year"] = str(data.year or "")
    form["key_measures_en"] = "\n".join(data.key_measures_en)
    form["key_measures_zh"] = "\n".join(data.key_measures_zh)
    form["tags"] = ", ".join(data.tags or [])
    for n, fig in enumerate(data.figures[:FIGURE_ROWS]):
        for k in ("indicator", "baseline", "value", "unit", "year", "status"):
            value = fig.get(k)
            form[f"figure_{n}_{k}"] = (
                "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
            )
    return form


def _cities(uow: UoW, lang: str) -> list[tuple[str, str]]:
    rows = uow.session.scalars(select(City).order_by(City.name_en))
    return [(c.key, c.name(lang)) for c in rows]


@router.get("/kb/submit")
def submit_form(
    page: Page, uow: UoW, _: Annotated[Principal, Depends(allow("knowledge.initiative.submit"))]
) -> Response:
    return _sheet_page(page, uow, form={})


def _sheet_page(
    page: Page,
    uow: UoW,
    *,
    form: dict[str, Any],
    problems: list[Problem] | None = None,
    edit_key: str | None = None,
    status_code: int = 200,
) -> Response:
    """The case-sheet form: new, being edited (``edit_key``), or back with its problems."""
    extra: dict[str, Any] = {"edit_key": edit_key} if edit_key else {}
    return page.render(
        "knowledge/submit.html",
        status_code=status_code,
        cities=_cities(uow, page.lang),
        form=form,
        problems=problems or [],
        figure_rows=range(FIGURE_ROWS),
        **extra,
        **_common(page),
    )


@router.post("/kb/submit")
async def submit(
    request: Request,
    page: Page,
    uow: UoW,
    principal: Annotated[Principal, Depends(allow("knowledge.initiative.submit"))],
) -> Response:
    form = await request.form()
    data, _figures = _form_input(form)
    try:
        item = initiatives.submit(uow, principal, data)
    except InputError as exc:
        uow.rollback()
        return _sheet_page(page, uow, form=dict(form), problems=exc.problems, status_code=422)
    return RedirectResponse(f"/kb/initiatives/{item.key}?submitted=1", status_code=303)


@router.get("/kb/initiatives/{key}/edit")
def edit_form(key: str, page: Page, uow: UoW, principal: CurrentPrincipal) -> Response:
    item = initiatives.get_visible(uow.session, principal, key)
    if not initiatives.can_edit(principal, item):
        raise PermissionDenied("only the owner or a knowledge editor edits this initiative")
    source = initiatives.pending_input(item) or initiatives.input_from_item(item)
    return _sheet_page(page, uow, form=_form_of(source), edit_key=key)


@router.post("/kb/initiatives/{key}/edit")
async def edit(
    key: str, request: Request, page: Page, uow: UoW, principal: CurrentPrincipal
) -> Response:
    form = await request.form()
    data, _figures = _form_input(form)
    try:
        initiatives.update(uow, principal, key, data, note=str(form.get("note", "")))
    except InputError as exc:
        uow.rollback()
        return _sheet_page(
            page, uow, form=dict(form), problems=exc.problems, edit_key=key, status_code=422
        )
    return RedirectResponse(f"/kb/initiatives/{key}", status_code=303)


@router.post("/kb/initiatives/{key}/review")
async def review(
    key: str,
    request: Request,
    uow: UoW,
    principal: Annotated[Principal, Depends(allow("knowledge.initiative.review"))],
) -> Response:
    form = await request.form()
    decision = str(form.get("decision", ""))
    comment = str(form.get("comment", ""))
    initiatives.review(uow, principal, key, decision, comment=comment)
    return RedirectResponse(f"/kb/initiatives/{key}", status_code=303)


@router.get("/kb/review")
def review_queue(
    page: Page,
    uow: UoW,
    principal: Annotated[Principal, Depends(allow("knowledge.initiative.review"))],
) -> Response:
    return page.render(
        "knowledge/review.html",
        items=initiatives.review_queue(uow.session, principal),
        **_common(page),
    )


@router.get("/kb/mine")
def my_initiatives(page: Page, uow: UoW, principal: CurrentPrincipal) -> Response:
    return page.render(
        "knowledge/review.html",
        mine=True,
        items=initiatives.my_initiatives(uow.session, principal),
        **_common(page),
    )


@router.get("/kb/taxonomies")
def taxonomy_page(page: Page) -> Response:
    grouped: dict[str, list[Any]] = {}
    for term in terms().values():
        grouped.setdefault(term.kind, []).append(term)
    return page.render(
        "knowledge/taxonomies.html",
        grouped=grouped,
        crosswalk=crosswalk(),
        countries=countries(),
        **_common(page),
    )


def not_found(key: str) -> NotFound:
    return NotFound(f"no initiative '{key}'")
