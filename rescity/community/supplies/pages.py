"""Pages of the community office's supplies work: stock by store (lots, expiry, low stock),
receipts, transfers, household requests and distribution rounds, and a round's report with
delivery and confirmation (and its CSV). Forms post here and redirect; the same services as
the API decide."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.community.control.domain import status_kinds
from rescity.community.shared.deps import Rt
from rescity.community.supplies import rounds, services
from rescity.community.supplies._community import Resident
from rescity.community.supplies.adapters import Delivery, Item, Round, Store
from rescity.core.errors import InputError, Problem
from rescity.core.places import Place, PlaceLevel
from rescity.core.security.policy import Target, is_allowed, visible_scopes
from rescity.web.deps import CurrentPrincipal, Language, UoW
from rescity.web.pages import Page

router = APIRouter(include_in_schema=False)


def _back(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _qty(value: str, field: str = "qty") -> int:
    try:
        qty = int(value)
    except ValueError:
        qty = 0
    problems = services.check_qty(qty, field)
    if problems:
        raise InputError(problems, source="supplies")
    return qty


@router.get("/community/supplies")
def supplies_page(page: Page, uow: UoW, principal: CurrentPrincipal, done: str = "") -> Response:
    s = uow.session
    manage = visible_scopes(principal, services.MANAGE)
    stores = list(s.scalars(select(Store).where(services.visible(
        Store.scope, principal, services.READ)).order_by(Store.code)))
    grids = [p for p in s.scalars(select(Place).where(
        Place.level.in_([PlaceLevel.GRID.value, PlaceLevel.COMMUNITY.value])).order_by(Place.path))
        if any(p.path.startswith(sc) for sc in manage)]
    rounds_ = list(s.scalars(select(Round).where(services.visible(
        Round.scope, principal, services.READ)).order_by(Round.id.desc()).limit(50)))
    mine = s.scalar(select(Resident.household_id).where(Resident.user_id == principal.user_id,
                                                        Resident.erased_at.is_(None)))
    return page.render(
        "community_supplies/supplies.html", kinds=status_kinds(),
        stock=services.stock(s, principal), stores=stores,
        items=list(s.scalars(select(Item).order_by(Item.code))), grids=grids, rounds=rounds_,
        store_names={st.id: st for st in stores}, manage=bool(manage), done=done,
        requests=services.list_requests(s, principal),
        item_names={i.id: i for i in s.scalars(select(Item))},
        can_request=mine is not None or bool(manage),
        my_deliveries=list(s.scalars(select(Delivery).where(
            Delivery.household_id == mine).order_by(Delivery.id.desc()).limit(20)))
        if mine is not None else [])


@router.post("/community/supplies/items")
def item_form(uow: UoW, principal: CurrentPrincipal,
              code: Annotated[str, Form(max_length=64)],
              name_zh: Annotated[str, Form(max_length=200)],
              unit: Annotated[str, Form(max_length=20)],
              name_en: Annotated[str, Form(max_length=200)] = "",
              low_stock: Annotated[str, Form(max_length=10)] = "0") -> Response:
    threshold = int(low_stock) if low_stock.strip().isdigit() else -1
    services.create_item(uow, principal, code=code, name_zh=name_zh, name_en=name_en,
                         unit=unit, low_stock=threshold)
    return _back("/community/supplies?done=item")


@router.post("/community/supplies/stores")
def store_form(uow: UoW, rt: Rt, principal: CurrentPrincipal,
               place: Annotated[str, Form(max_length=64)],
               code: Annotated[str, Form(max_length=64)],
               name: Annotated[str, Form(max_length=200)] = "") -> Response:
    services.create_store(uow, principal, rt.now(), place=place, code=code, name=name)
    return _back("/community/supplies?done=store")


@router.post("/community/supplies/receipts")
def receipt_form(uow: UoW, rt: Rt, principal: CurrentPrincipal,
                 store: Annotated[str, Form(max_length=64)],
                 item: Annotated[str, Form(max_length=64)],
                 qty: Annotated[str, Form(max_length=10)],
                 lot_code: Annotated[str, Form(max_length=64)] = "",
                 expires_on: Annotated[str, Form(max_length=10)] = "") -> Response:
    try:
        expiry = date.fromisoformat(expires_on) if expires_on else None
    except ValueError:
        raise InputError([Problem("expires_on", "a date")], source="receipt") from None
    services.receive(uow, principal, rt.now(), store=store, item=item, qty=_qty(qty),
                     lot_code=lot_code, expires_on=expiry)
    return _back("/community/supplies?done=receipt")


@router.post("/community/supplies/transfers")
def transfer_form(uow: UoW, rt: Rt, principal: CurrentPrincipal,
                  from_store: Annotated[str, Form(max_length=64)],
                  to_store: Annotated[str, Form(max_length=64)],
                  item: Annotated[str, Form(max_length=64)],
                  qty: Annotated[str, Form(max_length=10)]) -> Response:
    services.transfer(uow, principal, rt.now(), from_store=from_store, to_store=to_store,
                      item=item, qty=_qty(qty))
    return _back("/community/supplies?done=transfer")


@router.post("/community/supplies/requests")
def request_form(uow: UoW, rt: Rt, principal: CurrentPrincipal,
                 item: Annotated[str, Form(max_length=64)],
                 qty: Annotated[str, Form(max_length=10)],
                 household_id: Annotated[str, Form(max_length=12)] = "",
                 note: Annotated[str, Form(max_length=300)] = "") -> Response:
    household = int(household_id) if household_id.strip().isdigit() else None
    services.request_supplies(uow, principal, rt.now(), item=item, qty=_qty(qty),
                              household_id=household, note=note)
    return _back("/community/supplies?done=request")


@router.post("/community/supplies/rounds")
def round_form(uow: UoW, rt: Rt, principal: CurrentPrincipal,
               store: Annotated[str, Form(max_length=64)],
               grid: Annotated[str, Form(max_length=64)],
               building: Annotated[str, Form(max_length=40)] = "",
               item: Annotated[str, Form(max_length=64)] = "",
               qty: Annotated[str, Form(max_length=10)] = "",
               include_requests: Annotated[str, Form(max_length=5)] = "") -> Response:
    package = ((item, _qty(qty)),) if item else ()
    rnd = rounds.create_round(uow, principal, rt.now(), rounds.NewRound(
        store=store, grid=grid, building=building, package=package,
        include_requests=bool(include_requests)))
    return _back(f"/community/supplies/rounds/{rnd.id}")


@router.get("/community/supplies/rounds/{round_id}")
def round_page(round_id: int, page: Page, uow: UoW, principal: CurrentPrincipal,
               done: str = "") -> Response:
    rep = rounds.report(uow.session, principal, round_id)
    staff = is_allowed(principal, services.MANAGE, Target(scope=rep.round.scope))
    return page.render("community_supplies/round.html", rep=rep, staff=staff, done=done,
                       kinds=status_kinds())


@router.post("/community/supplies/deliveries/{delivery_id}/{step}")
def delivery_form(delivery_id: int, step: str, uow: UoW, rt: Rt, principal: CurrentPrincipal,
                  note: Annotated[str, Form(max_length=300)] = "") -> Response:
    if step == "delivered":
        row = rounds.mark_delivered(uow, principal, rt.now(), delivery_id, note=note)
    elif step == "confirm":
        row = rounds.confirm(uow, principal, rt.now(), delivery_id, note=note)
    else:
        raise InputError([Problem("step", "delivered or confirm")], source="delivery")
    return _back(f"/community/supplies/rounds/{row.round_id}?done={step}#d-{row.id}")


@router.get("/community/supplies/rounds/{round_id}/report.csv")
def round_csv(round_id: int, uow: UoW, principal: CurrentPrincipal, lang: Language) -> Response:
    rep = rounds.report(uow.session, principal, round_id)
    return Response("\ufeff" + rounds.report_csv(rep, lang), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="round-{round_id}.csv"'})
