"""Open311 GeoReport v2 under ``/open311/v2/`` (JSON only), so existing Open311 clients can
file and follow cases. Spec: http://wiki.open311.org/GeoReport_v2

- ``GET discovery.json``, ``GET services.json``, ``GET services/{code}.json``
- ``POST requests.json`` (form-encoded as the spec says, JSON accepted too; ``api_key``
  required; ``long`` or ``lon``; ``attribute[code]=value``)
- ``GET tokens/{token}.json``, ``GET requests.json`` (filters ``service_request_id``,
  ``service_code``, ``start_date``, ``end_date``, ``status``), ``GET requests/{id}.json``

Every error, validation included, answers in Open311's format ``[{"code": 400,
"description": "..."}]`` with the same HTTP status. Reads are allowed by the policy action
``community.open311.read`` (granted to anonymous callers in ``permissions.toml``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import select

from rescity.community.cases import open311
from rescity.community.cases.adapters import Handler, WorkOrder
from rescity.community.cases.deps import Runtime
from rescity.community.cases.runtime import OpsRuntime
from rescity.core.errors import (
    AuthenticationRequired,
    InputError,
    NotFound,
    PermissionDenied,
    Problem,
    RescityError,
)
from rescity.core.i18n import negotiate
from rescity.core.ids import is_id_text
from rescity.core.security.policy import Principal
from rescity.web.deps import UoW, allow

SPEC = "http://wiki.open311.org/GeoReport_v2"


def error(code: int, description: str) -> JSONResponse:
    return JSONResponse([{"code": code, "description": description}], status_code=code)


def _open311_status(exc: RescityError) -> int:
    if isinstance(exc, InputError):
        return 400
    if isinstance(exc, AuthenticationRequired | PermissionDenied):
        return 403 if isinstance(exc, PermissionDenied) else 401
    return exc.status_code


class Open311Route(APIRoute):
    """Turns every error of an Open311 route into the Open311 error format."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except RequestValidationError as exc:
                parts = [f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"
                         for e in exc.errors()]
                return error(400, "; ".join(parts) or "invalid request")
            except InputError as exc:
                return error(400, "; ".join(str(p) for p in exc.problems))
            except RescityError as exc:
                return error(_open311_status(exc), str(exc))

        return handler


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)
Reader = Annotated[Principal | None, Depends(allow("community.open311.read"))]


def _lang(request: Request, rt: OpsRuntime) -> str:
    asked = request.query_params.get("locale", "")[:2].lower()
    if asked in ("zh", "en"):
        return asked
    return negotiate(request.headers.get("accept-language"), rt.settings.default_language)


@router.get("/discovery.json")
def discovery(request: Request, _: Reader) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    return {
        "changeset": "2026-01-01T00:00:00Z", "contact": "", "key_service": "",
        "endpoints": [{"specification": SPEC, "url": base, "changeset": "2026-01-01T00:00:00Z",
                       "type": "production", "formats": ["application/json"]}],
    }


@router.get("/services.json")
def services(request: Request, rt: Runtime, _: Reader) -> list[dict[str, Any]]:
    lang = _lang(request, rt)
    return [
        {"service_code": t.code, "service_name": t.name(lang), "description": t.description(lang),
         "metadata": bool(t.attributes), "type": "realtime", "keywords": ", ".join(t.keywords),
         "group": t.group}
        for t in rt.levels.types.values()
    ]


@router.get("/services/{service_code}.json")
def service_definition(service_code: str, request: Request, rt: Runtime, _: Reader
                       ) -> dict[str, Any]:
    t = rt.levels.types.get(service_code)
    if t is None:
        raise NotFound(f"no service '{service_code}'")
    lang = _lang(request, rt)
    return {
        "service_code": t.code,
        "attributes": [
            {"variable": True, "code": a.code, "datatype": a.datatype, "required": a.required,
             "datatype_description": "", "order": i + 1,
             "description": a.description_en if lang == "en" else a.description_zh,
             "values": [{"key": v.key, "name": v.name_en if lang == "en" else v.name_zh}
                        for v in a.values]}
            for i, a in enumerate(t.attributes)
        ],
    }


ATTR = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


def _float(value: str | None, name: str) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise InputError([Problem(name, "must be a number")]) from None


async def _fields(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """The posted fields and the ``attribute[...]`` ones, from a form or a JSON object."""
    ctype = request.headers.get("content-type", "")
    plain: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    if ctype.startswith("application/json"):
        body = await request.json()
        if not isinstance(body, dict):
            raise InputError([Problem("body", "a JSON object")])
        items: list[tuple[str, Any]] = list(body.items())
        given = body.get("attribute")
        if isinstance(given, dict):
            items += [(f"attribute[{k}]", v) for k, v in given.items()]
    else:
        form = await request.form()
        items = list(form.multi_items())
    for key, value in items:
        m = ATTR.match(key)
        values = value if isinstance(value, list) else [value]
        if m:
            attributes.setdefault(m.group(1), []).extend(str(v) for v in values)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            plain[key] = str(value)
    return plain, {k: ",".join(v) for k, v in attributes.items()}


@router.post("/requests.json")
async def post_request(request: Request, uow: UoW, rt: Runtime) -> list[dict[str, Any]]:
    fields, attributes = await _fields(request)
    key = fields.get("api_key", "")
    if key:  # a flood from one client is refused before it costs a transaction
        request.app.state.ctx.open311_posts.hit(
            "key:" + hashlib.sha256(key.encode()).hexdigest()[:32])
    if not fields.get("service_code"):
        raise InputError([Problem("service_code", "is required")])
    lon_text = fields.get("long") if fields.get("long") not in (None, "") else fields.get("lon")
    post = open311.Open311Post(
        api_key=fields.get("api_key", ""), service_code=fields["service_code"],
        jurisdiction_id=fields.get("jurisdiction_id", ""),
        lat=_float(fields.get("lat"), "lat"), lon=_float(lon_text, "long"),
        address_string=fields.get("address_string", ""),
        address_id=fields.get("address_id", ""), description=fields.get("description", ""),
        media_url=fields.get("media_url", ""), first_name=fields.get("first_name", ""),
        last_name=fields.get("last_name", ""), email=fields.get("email", ""),
        phone=fields.get("phone", ""), attributes=attributes,
    )
    case = open311.file_request(uow, rt, post)
    return [{"service_request_id": str(case.id), "token": case.token,
             "service_notice": "", "account_id": None}]


@router.get("/tokens/{token}.json")
def token_lookup(token: str, uow: UoW, _: Reader) -> list[dict[str, Any]]:
    case = open311.for_token(uow.session, token)
    return [{"service_request_id": str(case.id), "token": token}]


def _dates(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError([Problem(name, "a W3C date-time, e.g. 2026-05-01T00:00:00Z")]) from None
    if moment.tzinfo is None:
        raise InputError([Problem(name, "needs a time zone, e.g. Z or +08:00")])
    try:
        moment.astimezone(UTC)  # 0001-01-01T00:00:00+14:00 is before the first UTC year
    except OverflowError:
        raise InputError([Problem(name, "a date-time between the years 1 and 9999")]) from None
    return moment


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


def _describe_all(uow: UoW, rt: OpsRuntime, cases: list[WorkOrder], lang: str
                  ) -> list[dict[str, Any]]:
    ids = {c.handler_id for c in cases if c.handler_id}
    handlers = {h.id: h for h in uow.session.scalars(select(Handler).where(Handler.id.in_(ids)))}
    return [open311.describe(c, rt, handlers.get(c.handler_id or 0), lang) for c in cases]


@router.get("/requests.json")
def get_requests(
    request: Request, uow: UoW, rt: Runtime, _: Reader,
    service_request_id: str | None = None, service_code: str | None = None,
    start_date: str | None = None, end_date: str | None = None, status: str | None = None,
) -> list[dict[str, Any]]:
    ids: list[int] = []
    for part in _split(service_request_id):
        if not is_id_text(part):
            raise InputError([Problem("service_request_id", f"'{part[:40]}' is not a request id")])
        ids.append(int(part))
    q = open311.Open311Query(
        ids=tuple(ids), service_codes=_split(service_code),
        start=_dates(start_date, "start_date"), end=_dates(end_date, "end_date"),
        statuses=_split(status),
    )
    return _describe_all(uow, rt, open311.find(uow.session, rt, q), _lang(request, rt))


@router.get("/requests/{service_request_id}.json")
def get_request(service_request_id: str, request: Request, uow: UoW, rt: Runtime, _: Reader
                ) -> list[dict[str, Any]]:
    if not is_id_text(service_request_id):  # "²".isdigit() is true; 23 digits overflow
        raise NotFound(f"service_request_id: no service request '{service_request_id[:40]}'")
    case = open311.get_public(uow.session, int(service_request_id))
    return _describe_all(uow, rt, [case], _lang(request, rt))


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
                  include_in_schema=False)
def unknown(rest: str) -> Response:
    if rest.endswith(".xml"):
        return error(400, "only the JSON format is supported: use .json")
    return error(404, f"no Open311 resource '{rest}'")
