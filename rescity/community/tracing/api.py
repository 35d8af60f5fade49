"""Presence tracing's JSON API under ``/api/community/tracing``.

Staff register venues and health officers publish traces; the one public endpoint is the
list of released slot material that every phone downloads whole. No endpoint receives a
check-in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import AwareDatetime, BaseModel, Field

from rescity.community.tracing import services
from rescity.community.tracing.adapters import Venue
from rescity.community.tracing.domain import RETENTION_DAYS, SLOT_SECONDS, VenueKind
from rescity.community.tracing.services import TracingRuntime
from rescity.core.places import get_place
from rescity.core.security.policy import Principal
from rescity.web.deps import Ctx, CurrentPrincipal, UoW, allow, app_singleton

STATE_KEY = "community_tracing_runtime"
CHECKIN_PATH = "/trace"

router = APIRouter(prefix="/api/community/tracing", tags=["community: presence tracing"])


def get_runtime(request: Request, ctx: Ctx) -> TracingRuntime:
    """Built once per app; tests replace it (``app.state.community_tracing_runtime``)."""
    return app_singleton(request, STATE_KEY, lambda: TracingRuntime.create(ctx.settings))


Runtime = Annotated[TracingRuntime, Depends(get_runtime)]


def checkin_url(request: Request, fragment: str) -> str:
    return f"{str(request.base_url).rstrip('/')}{CHECKIN_PATH}#{fragment}"


class VenueCreate(BaseModel):
    place: str = Field(max_length=64, description="code of the place the venue lies in")
    name: str = Field(min_length=1, max_length=120)
    kind: VenueKind


class VenuePublic(BaseModel):
    id: int
    name: str
    kind: str
    scope: str
    created_at: datetime


class VenueCreated(VenuePublic):
    checkin_url: str = Field(description="the QR code's content; its fragment holds the venue "
                                         "key: print it, do not publish it online")
    poster_url: str


def _public(v: Venue) -> VenuePublic:
    return VenuePublic(id=v.id, name=v.name, kind=v.kind, scope=v.scope, created_at=v.created_at)


@router.post("/venues", status_code=status.HTTP_201_CREATED)
def create_venue(body: VenueCreate, request: Request, uow: UoW, rt: Runtime,
                 principal: CurrentPrincipal) -> VenueCreated:
    place = get_place(uow.session, body.place)
    venue, fragment = services.register_venue(uow, rt, principal, place=place, name=body.name,
                                              kind=body.kind.value)
    return VenueCreated(**_public(venue).model_dump(), checkin_url=checkin_url(request, fragment),
                        poster_url=f"/community/tracing/venues/{venue.id}/poster")


@router.get("/venues")
def list_venues(uow: UoW, principal: CurrentPrincipal) -> list[VenuePublic]:
    return [_public(v) for v in services.list_venues(uow, principal)]


class TraceCreate(BaseModel):
    venue_id: int
    start: AwareDatetime
    end: AwareDatetime
    advice: str = Field(min_length=1, max_length=1000)


class TracePublic(BaseModel):
    id: int
    venue_id: int
    start: datetime
    end: datetime
    advice: str
    published_at: datetime


@router.post("/traces", status_code=status.HTTP_201_CREATED)
def publish_trace(body: TraceCreate, uow: UoW, rt: Runtime,
                  principal: CurrentPrincipal) -> TracePublic:
    t = services.publish_trace(uow, rt, principal, venue_id=body.venue_id, start=body.start,
                               end=body.end, advice=body.advice)
    return TracePublic(id=t.id, venue_id=t.venue_id, start=t.window_start, end=t.window_end,
                       advice=t.advice, published_at=t.published_at)


@router.get("/traces")
def list_traces(uow: UoW, principal: CurrentPrincipal) -> list[TracePublic]:
    return [TracePublic(id=t.id, venue_id=t.venue_id, start=t.window_start, end=t.window_end,
                        advice=t.advice, published_at=t.published_at)
            for t, _v in services.list_traces(uow, principal)]


class Released(BaseModel):
    id: str = Field(description="hex of the slot identifier id_h")
    key: str = Field(description="base64url of the slot key k_h")
    msg: str = Field(description="window and advice, sealed for the slot's visitors")


class PublishedList(BaseModel):
    version: str = "v1"
    slot_seconds: int = SLOT_SECONDS
    retention_days: int = RETENTION_DAYS
    entries: list[Released]


@router.get("/published")
def published(uow: UoW, rt: Runtime,
              _: Annotated[Principal | None, Depends(allow("community.trace.read_published"))],
              ) -> PublishedList:
    """Every released slot of the last days: phones download it whole and match locally."""
    return PublishedList(entries=[Released(**e) for e in services.published(uow, rt)])
