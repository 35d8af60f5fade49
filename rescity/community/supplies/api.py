"""JSON API of supplies under ``/api/community/supplies``: quantities are whole positive
numbers (a negative or zero one is refused with 422), unknown items and stores are 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from rescity.community.shared.deps import Rt
from rescity.community.shared.schemas import In
from rescity.community.supplies import rounds, services
from rescity.community.supplies.adapters import Delivery, Lot, Round, SupplyRequest
from rescity.web.deps import CurrentPrincipal, Language, UoW

router = APIRouter(prefix="/api/community/supplies", tags=["community: supplies"])
MAX_ID = 2**31 - 1  # row ids are INTEGER
Qty = Annotated[int, Field(gt=0, le=services.MAX_QTY, strict=True)]




class ItemCreate(In):
    code: str = Field(min_length=1, max_length=64)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    unit: str = Field(min_length=1, max_length=20)
    low_stock: int = Field(default=0, ge=0, le=services.MAX_QTY)


class ItemPublic(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    unit: str
    low_stock: int


class StoreCreate(In):
    place: str = Field(max_length=64)
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)


class StorePublic(BaseModel):
    id: int
    code: str
    name: str
    place_id: int


class ReceiptCreate(In):
    item: str = Field(max_length=64)
    qty: Qty
    lot_code: str = Field(default="", max_length=64)
    expires_on: date | None = None
    source: str = Field(default="", max_length=100)


class LotPublic(BaseModel):
    id: int
    store_id: int
    item_id: int
    lot_code: str
    expires_on: date | None
    qty: int


class TransferCreate(In):
    from_store: str = Field(max_length=64)
    to_store: str = Field(max_length=64)
    item: str = Field(max_length=64)
    qty: Qty


class StockPublic(BaseModel):
    store: str
    item: str
    unit: str
    qty: int
    low: bool
    lots: list[LotPublic]


class RequestCreate(In):
    item: str = Field(max_length=64)
    qty: Qty
    household_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    note: str = Field(default="", max_length=300)


class RequestPublic(BaseModel):
    id: int
    household_id: int
    item_id: int
    qty: int
    status: str
    delivery_id: int | None
    created_at: datetime


class PackageLine(In):
    item: str = Field(max_length=64)
    qty: Qty


class RoundCreate(In):
    store: str = Field(max_length=64)
    grid: str = Field(max_length=64)
    building: str = Field(default="", max_length=40)
    package: list[PackageLine] = Field(default_factory=list, max_length=50)
    include_requests: bool = True


class LinePublic(BaseModel):
    item: str
    lot: str
    qty: int


class DeliveryPublic(BaseModel):
    id: int
    household_id: int
    address: str
    method: str
    status: str
    items: list[LinePublic]
    delivered_at: datetime | None
    confirmed_at: datetime | None
    confirmed_via: str


class RoundPublic(BaseModel):
    id: int
    store: str
    grid: str
    building: str
    control_status: str
    method: str
    status: str
    created_at: datetime
    by_status: dict[str, int]
    totals: dict[str, int]
    deliveries: list[DeliveryPublic]


class NoteIn(In):
    note: str = Field(default="", max_length=300)


def _lot(lot: Lot) -> LotPublic:
    return LotPublic(id=lot.id, store_id=lot.store_id, item_id=lot.item_id,
                     lot_code=lot.lot_code, expires_on=lot.expires_on, qty=lot.qty)


@router.post("/items", status_code=status.HTTP_201_CREATED)
def create_item(body: ItemCreate, uow: UoW, principal: CurrentPrincipal) -> ItemPublic:
    i = services.create_item(uow, principal, **body.model_dump())
    return ItemPublic(id=i.id, code=i.code, name_zh=i.name_zh, name_en=i.name_en, unit=i.unit,
                      low_stock=i.low_stock)


@router.post("/stores", status_code=status.HTTP_201_CREATED)
def create_store(body: StoreCreate, uow: UoW, rt: Rt, principal: CurrentPrincipal
                 ) -> StorePublic:
    s = services.create_store(uow, principal, rt.now(), **body.model_dump())
    return StorePublic(id=s.id, code=s.code, name=s.name, place_id=s.place_id)


@router.post("/stores/{code}/receipts", status_code=status.HTTP_201_CREATED)
def receive(code: str, body: ReceiptCreate, uow: UoW, rt: Rt,
            principal: CurrentPrincipal) -> LotPublic:
    return _lot(services.receive(uow, principal, rt.now(), store=code, **body.model_dump()))


@router.post("/transfers", status_code=status.HTTP_201_CREATED)
def transfer(body: TransferCreate, uow: UoW, rt: Rt,
             principal: CurrentPrincipal) -> list[LotPublic]:
    return [_lot(lot) for lot in services.transfer(uow, principal, rt.now(),
                                                   **body.model_dump())]


@router.get("/stock")
def stock(uow: UoW, principal: CurrentPrincipal, store: str | None = None) -> list[StockPublic]:
    return [StockPublic(store=s.store.code, item=s.item.code, unit=s.item.unit, qty=s.qty,
                        low=s.low, lots=[_lot(lot) for lot in s.lots])
            for s in services.stock(uow.session, principal, store)]


@router.post("/requests", status_code=status.HTTP_201_CREATED)
def create_request(body: RequestCreate, uow: UoW, rt: Rt,
                   principal: CurrentPrincipal) -> RequestPublic:
    return _request(services.request_supplies(uow, principal, rt.now(), **body.model_dump()))


@router.get("/requests")
def list_requests(uow: UoW, principal: CurrentPrincipal,
                  status_: str | None = None) -> list[RequestPublic]:
    return [_request(r) for r in services.list_requests(uow.session, principal, status=status_)]


def _request(r: SupplyRequest) -> RequestPublic:
    return RequestPublic(id=r.id, household_id=r.household_id, item_id=r.item_id, qty=r.qty,
                         status=r.status, delivery_id=r.delivery_id, created_at=r.created_at)


@router.post("/rounds", status_code=status.HTTP_201_CREATED)
def create_round(body: RoundCreate, uow: UoW, rt: Rt, principal: CurrentPrincipal,
                 lang: Language) -> RoundPublic:
    rnd = rounds.create_round(uow, principal, rt.now(), rounds.NewRound(
        store=body.store, grid=body.grid, building=body.building,
        package=tuple((p.item, p.qty) for p in body.package),
        include_requests=body.include_requests))
    return _round(uow, principal, rnd, lang)


@router.get("/rounds/{round_id}")
def read_round(round_id: int, uow: UoW, principal: CurrentPrincipal,
               lang: Language) -> RoundPublic:
    rep = rounds.report(uow.session, principal, round_id)
    return _round(uow, principal, rep.round, lang)


@router.get("/rounds/{round_id}/report.csv")
def round_csv(round_id: int, uow: UoW, principal: CurrentPrincipal, lang: Language) -> Response:
    rep = rounds.report(uow.session, principal, round_id)
    return Response(rounds.report_csv(rep, lang), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="round-{round_id}.csv"'})


def _round(uow: UoW, principal: CurrentPrincipal, rnd: Round, lang: str) -> RoundPublic:
    rep = rounds.report(uow.session, principal, rnd.id)
    return RoundPublic(
        id=rnd.id, store=rep.store.code, grid=rep.place.code, building=rnd.building,
        control_status=rnd.control_status, method=rnd.method, status=rnd.status,
        created_at=rnd.created_at, by_status=rep.by_status,
        totals={i.code: q for i, q in rep.totals},
        deliveries=[_delivery(line) for line in rep.lines])


def _delivery(line: rounds.ReportLine) -> DeliveryPublic:
    d = line.delivery
    return DeliveryPublic(id=d.id, household_id=d.household_id, address=line.address,
                          method=d.method, status=d.status,
                          items=[LinePublic(item=i.code, lot=lot, qty=q)
                                 for i, lot, q in line.items],
                          delivered_at=d.delivered_at, confirmed_at=d.confirmed_at,
                          confirmed_via=d.confirmed_via)


class DeliveryState(BaseModel):
    id: int
    status: str
    confirmed_via: str


def _state(d: Delivery) -> DeliveryState:
    return DeliveryState(id=d.id, status=d.status, confirmed_via=d.confirmed_via)


@router.post("/deliveries/{delivery_id}/delivered")
def delivered(delivery_id: int, body: NoteIn, uow: UoW, rt: Rt,
              principal: CurrentPrincipal) -> DeliveryState:
    return _state(rounds.mark_delivered(uow, principal, rt.now(), delivery_id, note=body.note))


@router.post("/deliveries/{delivery_id}/confirm")
def confirm(delivery_id: int, body: NoteIn, uow: UoW, rt: Rt,
            principal: CurrentPrincipal) -> DeliveryState:
    return _state(rounds.confirm(uow, principal, rt.now(), delivery_id, note=body.note))


def routers() -> list[APIRouter]:
    """This capability's routers (API and pages), for ``rescity/web/modules.py``."""
    from rescity.community.supplies import pages

    return [router, pages.router]
