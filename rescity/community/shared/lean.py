"""A route class for the hottest JSON submissions (check-ins, gate scans): the same endpoint,
without FastAPI's generic per-request work when the request is an ordinary one.

For every request FastAPI solves the route's dependencies (recursively, each with its own pass
over path, query, header and cookie parameters), then validates the body; under a gate and
phone load on two cores that is a large share of the server's CPU. :class:`SubmissionRoute`
serves endpoints of one shape::

    async def endpoint(body: Model, caller: CurrentCaller, rt: Rt,
                       idempotency_key: IdempotencyKeyHeader = None) -> Response

by doing exactly what those declarations ask, directly: the JSON body validated by the same
model, the caller from the same :func:`rescity.web.deps.get_caller` (token or session, CSRF,
401), the runtime from the same :func:`get_runtime`, the ``Idempotency-Key`` header. Any
request that is not an ordinary one (not ``application/json``, a body that is not JSON or does
not validate, dependency overrides other than a parameterless override of the runtime) goes
to FastAPI's own handler, so every error answer is FastAPI's. OpenAPI is unchanged: the route
is declared as any other.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Coroutine
from typing import Any, get_type_hints

from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from rescity.community.shared.deps import get_runtime
from rescity.community.shared.idempotency import IdemKey, Submitted
from rescity.community.shared.runtime import Runtime
from rescity.core.security.policy import Principal
from rescity.web.deps import get_caller

PARAMETERS = ["body", "caller", "rt", "idempotency_key"]
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class SubmissionRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        full = super().get_route_handler()
        endpoint = self.endpoint
        if list(inspect.signature(endpoint).parameters) != PARAMETERS or not (
            inspect.iscoroutinefunction(endpoint)
        ):
            raise TypeError(f"{endpoint.__name__}: SubmissionRoute serves "
                            f"async def ({', '.join(PARAMETERS)}) endpoints")
        model = get_type_hints(endpoint, include_extras=False)["body"]
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"{endpoint.__name__}: body must be a pydantic model")

        async def handler(request: Request) -> Response:
            content_type = request.headers.get("content-type", "")
            if content_type.partition(";")[0].strip().lower() != "application/json":
                return await full(request)
            rt = await _runtime(request)
            if rt is None:
                return await full(request)
            try:
                body = model.model_validate(json.loads(await request.body()))
            except (ValueError, ValidationError):  # FastAPI words the 422
                return await full(request)
            caller = await get_caller(request)
            response: Response = await endpoint(
                body=body, caller=caller, rt=rt,
                idempotency_key=request.headers.get("idempotency-key"),
            )
            return response

        return handler


async def _runtime(request: Request) -> Runtime | None:
    """The runtime as ``Depends(get_runtime)`` gives it, or None when FastAPI must decide
    (overrides of other dependencies, or a runtime override that takes parameters)."""
    overrides: dict[Any, Any] = getattr(request.app, "dependency_overrides", {})
    if not overrides:
        return await get_runtime(request)
    if set(overrides) != {get_runtime}:
        return None
    override = overrides[get_runtime]
    if inspect.signature(override).parameters:
        return None
    value = override()
    if inspect.isawaitable(value):
        value = await value
    return value if isinstance(value, Runtime) else None


def answer(result: Submitted) -> JSONResponse:
    """The stored or fresh answer of a submission; a replay says so in a header."""
    headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)


def idem_of(principal: Principal, key: str | None, route: str, body: Any) -> IdemKey | None:
    """The idempotency key of a submission, when the client sent one."""
    if key is None:
        return None
    return IdemKey.of(principal.user_id, key, route, body.model_dump(mode="json"))


REPLAYED: dict[int | str, dict[str, Any]] = {200: {"description": "replayed"}}
"""The OpenAPI answer of a replayed submission."""
