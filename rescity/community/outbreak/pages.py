"""Server-rendered outbreak pages: the health officer's page (record a case, the exact table
and map, publish a release), the transmission chain, and the public statistics page.

The public page reads stored releases only; nothing there is computed from exact counts.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.community.outbreak import cases, chain, public_map, publish
from rescity.community.outbreak.api import chain_labels
from rescity.community.outbreak.deps import Runtime
from rescity.community.outbreak.domain import CaseInput, CaseStatus, Granularity
from rescity.community.outbreak.runtime import OutbreakRuntime
from rescity.core.errors import InputError, NotFound
from rescity.core.places import Place, get_place
from rescity.core.security.policy import Principal, visible_scopes
from rescity.web.deps import CurrentPrincipal, UoW, allow
from rescity.web.pages import Page, PageRenderer

router = APIRouter(prefix="/outbreak", include_in_schema=False)


def _home_place(uow: UoW, principal: Principal, code: str) -> Place:
    """The place asked for, else the first the officer may read cases in."""
    if code:
        return get_place(uow.session, code)
    scopes = visible_scopes(principal, cases.READ)
    found = uow.session.scalar(select(Place).where(Place.path.in_(scopes)).order_by(Place.path))
    if found is None:
        raise NotFound("no place where you may read outbreak cases")
    return found


def _opt_date(value: str) -> date | None:
    return date.fromisoformat(value) if value.strip() else None


def _opt_float(value: str) -> float | None:
    return float(value.replace(",", ".")) if value.strip() else None


def _staff(page: PageRenderer, uow: UoW, rt: OutbreakRuntime, principal: Principal, place: Place,
           granularity: Granularity, *, error: str = "", done: str = "",
           status_code: int = 200) -> Response:
    last = rt.today()
    first = last - timedelta(days=27 if granularity == Granularity.DAY else 7 * 12 - 1)
    table = publish.exact_table(uow, principal, place_code=place.code, granularity=granularity,
                                first=first, last=last)
    rows = cases.list_cases(uow, rt, principal, place_code=place.code, purpose="case management")
    points = [{"id": v.id, "lat": v.lat, "lon": v.lon, "status": v.status,
               "label": f"#{v.id} {v.grid} {v.building}"}
              for v in rows if v.lat is not None and v.lon is not None]
    return page.render(
        "outbreak/staff.html", place=place, granularity=granularity.value, table=table,
        rows=rows, points=points, statuses=[s.value for s in CaseStatus], error=error,
        done=done, grids=publish.grids_under(uow.session, place), first=first, last=last,
        budget=rt.settings.outbreak_dp_budget, epsilon=rt.settings.outbreak_dp_epsilon,
        k=rt.settings.outbreak_dp_k,
        budget_left=publish.budget_left(uow.session, rt.settings, place),
        status_code=status_code,
    )


@router.get("")
def staff_page(page: Page, uow: UoW, rt: Runtime,
               principal: Annotated[Principal, Depends(allow(cases.READ))], place: str = "",
               granularity: Granularity = Granularity.DAY, done: str = "") -> Response:
    return _staff(page, uow, rt, principal, _home_place(uow, principal, place), granularity,
                  done=done)


@router.post("/cases")
def record_case(
    page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    place: Annotated[str, Form(max_length=64)],
    status: Annotated[CaseStatus, Form()],
    resident_id: Annotated[str, Form(max_length=12)] = "",
    grid: Annotated[str, Form(max_length=64)] = "",
    building: Annotated[str, Form(max_length=40)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    lat: Annotated[str, Form(max_length=20)] = "",
    lon: Annotated[str, Form(max_length=20)] = "",
    onset_date: Annotated[str, Form(max_length=10)] = "",
    confirmed_date: Annotated[str, Form(max_length=10)] = "",
    recovered_date: Annotated[str, Form(max_length=10)] = "",
    source_case_id: Annotated[str, Form(max_length=12)] = "",
    cluster: Annotated[str, Form(max_length=100)] = "",
    exposure_date: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        data = CaseInput(
            status=status, resident_id=int(resident_id) if resident_id.strip() else None,
            grid=grid, building=building, address=address, lat=_opt_float(lat),
            lon=_opt_float(lon), onset_date=_opt_date(onset_date),
            confirmed_date=_opt_date(confirmed_date), recovered_date=_opt_date(recovered_date),
            source_case_id=int(source_case_id) if source_case_id.strip() else None,
            cluster=cluster, exposure_date=_opt_date(exposure_date), note=note,
        )
        cases.record_case(uow, rt, principal, data)
    except (ValueError, InputError) as exc:
        uow.rollback()
        message = ("; ".join(str(p) for p in exc.problems) if isinstance(exc, InputError)
                   else page.t("ob.form.bad_value"))
        return _staff(page, uow, rt, principal, get_place(uow.session, place), Granularity.DAY,
                      error=message, status_code=422)
    return RedirectResponse(f"/outbreak?place={place}&done=case", status_code=303)


@router.post("/releases")
def release(
    page: Page, uow: UoW, rt: Runtime, principal: CurrentPrincipal,
    place: Annotated[str, Form(max_length=64)],
    granularity: Annotated[Granularity, Form()],
    first_day: Annotated[date, Form()], last_day: Annotated[date, Form()],
) -> Response:
    try:
        publish.release(uow, rt, principal, place_code=place, granularity=granularity,
                        first=first_day, last=last_day)
    except (InputError, publish.BudgetExhausted) as exc:
        uow.rollback()
        message = (page.t("ob.release.refused") if isinstance(exc, publish.BudgetExhausted)
                   else "; ".join(str(p) for p in exc.problems))
        return _staff(page, uow, rt, principal, get_place(uow.session, place), granularity,
                      error=message, status_code=409)
    return RedirectResponse(f"/outbreak/statistics?place={place}", status_code=303)


@router.get("/chain")
def chain_page(page: Page, uow: UoW, principal: CurrentPrincipal, place: str = "") -> Response:
    where = _home_place(uow, principal, place)
    nodes = cases.chain_nodes(uow, principal, place_code=where.code)
    svg = chain.render(nodes, labels=chain_labels(page.t))
    return page.render("outbreak/chain.html", place=where, svg=svg, count=len(nodes))


def _grid_table(cells: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Cells of a release as rows by grid and columns by period."""
    periods = sorted({c["period"] for c in cells})
    rows: dict[str, dict[str, Any]] = {}
    for c in cells:
        row = rows.setdefault(c["grid"], {"grid": c["grid"], "name_zh": c.get("grid_name", ""),
                                          "name_en": c.get("grid_name_en", ""), "counts": {}})
        row["counts"][c["period"]] = c["count"]
    return periods, list(rows.values())


@router.get("/statistics")
def statistics_page(
    page: Page, uow: UoW, rt: Runtime, place: str = "",
    _who: Annotated[Principal | None,
                    Depends(allow("community.outbreak.read_published"))] = None,
) -> Response:
    session = uow.session
    where = get_place(session, place) if place else None
    found = publish.releases_for(session, where, limit=5) if where else publish.latest(session)
    codes = publish.place_codes(session, {r.place_id for r in found})
    shown = []
    for r in found:
        periods, rows = _grid_table(r.cells)
        spot = session.get(Place, r.place_id)
        assert spot is not None
        missing = public_map.without_boundary(session, r)
        shown.append({"release": r, "place": spot, "code": codes[r.place_id], "periods": periods,
                      "rows": rows, "map": public_map.map_data(r), "missing": missing,
                      "drawn": len({row["grid"] for row in rows}) - len(missing),
                      "budget_left": publish.budget_left(session, rt.settings, spot)})
    return page.render("outbreak/statistics.html", releases=shown, place=where,
                       budget=rt.settings.outbreak_dp_budget)
