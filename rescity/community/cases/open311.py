"""Open311 GeoReport v2: API keys, filing a request, finding and describing requests.

What Open311 publishes is public by the standard's design (anyone may GET requests), so it
publishes only cases filed through Open311 (``WorkOrder.public``): a resident's report made
inside rescity never appears there. A published request carries no reporter data.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.cases.adapters import Handler, Open311Client, WorkOrder
from rescity.community.cases.domain import OPEN_STATUSES, CaseStatus, Channel, open311_status
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.cases.services import CaseInput, file_case_in
from rescity.community.shared.location import place_of_point
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, NotFound, PermissionDenied, Problem
from rescity.core.places import Place, contains, get_place
from rescity.core.security.policy import Principal, Target, require
from rescity.core.storage.uow import UnitOfWork

DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_client(uow: UnitOfWork, principal: Principal | None, *, name: str,
                  place: Place) -> str:
    """Register an Open311 client for ``place``; returns the key (shown once, stored hashed)."""
    require(principal, "community.open311.client.create", Target(scope=place.path))
    if not name.strip():
        raise InputError([Problem("name", "must not be empty")])
    key = "o311_" + secrets.token_urlsafe(24)
    client = Open311Client(name=name.strip()[:100], key_digest=_digest(key), place_id=place.id,
                           scope=place.path)
    uow.session.add(client)
    uow.session.flush()
    audit.record(uow.session, principal, kind=AuditKind.WRITE,
                 action="community.open311.client.create", record_type="open311_client",
                 record_id=client.id, scope=place.path)
    uow.commit()
    return key


def client_for_key(session: Session, api_key: str) -> Open311Client:
    if not api_key:
        raise PermissionDenied("api_key is required")
    client = session.scalar(
        select(Open311Client).where(Open311Client.key_digest == _digest(api_key))
    )
    if client is None or not client.active:
        raise PermissionDenied("invalid api_key")
    return client


@dataclass(frozen=True)
class Open311Post:
    api_key: str
    service_code: str
    jurisdiction_id: str = ""
    lat: float | None = None
    lon: float | None = None
    address_string: str = ""
    address_id: str = ""
    description: str = ""
    media_url: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    attributes: dict[str, str] | None = None


def file_request(uow: UnitOfWork, rt: OpsRuntime, post: Open311Post) -> WorkOrder:
    s = uow.session
    client = client_for_key(s, post.api_key)
    area = s.get(Place, client.place_id)
    if post.jurisdiction_id:
        place = get_place(s, post.jurisdiction_id)
        if not contains(client.scope, place.path):
            raise PermissionDenied("this api_key may not file requests in that jurisdiction")
        area = place
    if post.lat is None and not post.address_string.strip() and not post.address_id.strip():
        raise InputError([Problem("location", "lat and long, address_string or address_id")])
    # The key limits where a client may report; the point decides which grid the case is in.
    located = place_of_point(s, post.lat, post.lon, within=area)
    scope = located.path if located else (area.path if area else client.scope)
    address = post.address_string.strip() or post.address_id.strip()
    data = CaseInput(
        service_code=post.service_code, description=post.description, lat=post.lat,
        lon=post.lon, address=address, media=(post.media_url,) if post.media_url else (),
        attributes=dict(post.attributes or {}), public=True,
        contact={"first_name": post.first_name, "last_name": post.last_name,
                 "email": post.email, "phone": post.phone},
    )
    case = file_case_in(s, rt, data, scope=scope, channel=Channel.OPEN311, now=rt.now(),
                        actor=f"open311:{client.name}", open311_client_id=client.id)
    uow.commit()
    return case


@dataclass(frozen=True)
class Open311Query:
    ids: tuple[int, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


def find(session: Session, rt: OpsRuntime, q: Open311Query) -> list[WorkOrder]:
    """GeoReport's GET requests: by ids (other filters then ignored), else by the filters;
    without dates, the last 90 days; at most 1000, newest first."""
    stmt = select(WorkOrder).where(WorkOrder.public.is_(True))
    if q.ids:
        stmt = stmt.where(WorkOrder.id.in_(q.ids))
    else:
        bad = [x for x in q.statuses if x not in ("open", "closed")]
        if bad:
            raise InputError([Problem("status", "open or closed")])
        end = q.end or rt.now()
        start = q.start or end - DEFAULT_WINDOW
        if start > end:
            raise InputError([Problem("start_date", "must not be after end_date")])
        stmt = stmt.where(WorkOrder.created_at >= start, WorkOrder.created_at <= end)
        if q.service_codes:
            stmt = stmt.where(WorkOrder.service_code.in_(q.service_codes))
        if q.statuses and len(set(q.statuses)) == 1:
            opened = [s.value for s in OPEN_STATUSES]
            col = WorkOrder.status
            stmt = stmt.where(col.in_(opened) if q.statuses[0] == "open" else col.not_in(opened))
    stmt = stmt.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc()).limit(MAX_RESULTS)
    return list(session.scalars(stmt))


def get_public(session: Session, case_id: int) -> WorkOrder:
    case = session.get(WorkOrder, case_id)
    if case is None or not case.public:
        raise NotFound(f"no service request {case_id}")
    return case


def for_token(session: Session, token: str) -> WorkOrder:
    case = session.scalar(select(WorkOrder).where(WorkOrder.token == token))
    if case is None or not case.public:
        raise NotFound(f"no service request for token {token}")
    return case


def w3c(moment: datetime | None, rt: OpsRuntime) -> str | None:
    return moment.astimezone(rt.zone).isoformat(timespec="seconds") if moment else None


def status_notes(case: WorkOrder) -> str:
    if case.status == CaseStatus.MERGED:
        return f"duplicate of request {case.merged_into_id}"
    if CaseStatus(case.status) in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return case.resolution
    return {"submitted": "received", "dispatched": "assigned",
            "in_progress": "in progress"}.get(case.status, "")


def describe(case: WorkOrder, rt: OpsRuntime, handler: Handler | None, lang: str
             ) -> dict[str, Any]:
    """One service request in GeoReport v2's fields; nothing about the reporter."""
    case_type = rt.levels.types.get(case.service_code)
    return {
        "service_request_id": str(case.id),
        "status": open311_status(case.status),
        "status_notes": status_notes(case),
        "service_name": case_type.name(lang) if case_type else case.service_code,
        "service_code": case.service_code,
        "description": case.description,
        "agency_responsible": handler.name(lang) if handler else "",
        "service_notice": "",
        "requested_datetime": w3c(case.created_at, rt),
        "updated_datetime": w3c(case.updated_at, rt),
        "expected_datetime": w3c(case.deadline_at, rt),
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lon,
        "media_url": case.media[0] if case.media else "",
        # Not in GeoReport v2: the request this one was merged into (follow that one).
        "merged_into_service_request_id": (str(case.merged_into_id)
                                           if case.merged_into_id is not None else None),
    }
