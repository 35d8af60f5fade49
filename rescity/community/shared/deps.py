"""FastAPI dependencies of the community module: the runtime, listing permission, the
idempotency key and the ETag precondition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from rescity.community.shared.errors import PreconditionRequired
from rescity.community.shared.runtime import Runtime
from rescity.core.errors import InputError, Problem
from rescity.core.ids import is_id_text
from rescity.core.places import Place
from rescity.core.security.policy import Principal, Target, require
from rescity.web.deps import CurrentPrincipal, UoW, app_singleton


async def get_runtime(request: Request) -> Runtime:
    """Built once per app from its settings; tests override this to control the clock."""
    return app_singleton(request, "community_runtime",
                         lambda: Runtime.create(request.app.state.ctx.settings))


Rt = Annotated[Runtime, Depends(get_runtime)]


def allow_any(action: str) -> Callable[..., Any]:
    """Dependency: the principal may do ``action`` somewhere (a grant) or on their own records.

    Lists then show only the rows inside those places (or the principal's own); a role that
    cannot do the action anywhere gets 403 instead of an empty list.
    """

    async def dependency(principal: CurrentPrincipal) -> Principal:
        require(principal, action, Target(scope=None, owner_id=principal.user_id))
        return principal

    return dependency


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Unique per submission; retries reuse it"),
]


async def expected_version(if_match: Annotated[str | None, Header(alias="If-Match")] = None) -> int:
    """The version from ``If-Match: "3"``; 428 when missing, so no update is blind."""
    if if_match is None:
        raise PreconditionRequired()
    return parse_etag(if_match)


async def optional_version(
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> int | None:
    return None if if_match is None else parse_etag(if_match)


def parse_etag(value: str) -> int:
    raw = value.strip().removeprefix("W/").strip('"')
    if not is_id_text(raw):
        raise InputError([Problem("If-Match", 'expected an ETag such as "3"')])
    return int(raw)


def etag(version: int) -> str:
    return f'"{version}"'


ExpectedVersion = Annotated[int, Depends(expected_version)]
OptionalVersion = Annotated[int | None, Depends(optional_version)]


Grid = Annotated[str | None, Query(max_length=64)]
"""A grid code in a query string."""


def back(url: str) -> Response:
    """Answer a form post with a redirect (post/redirect/get)."""
    return RedirectResponse(url, status_code=303)


def grant_place_ids(uow: UoW, principal: CurrentPrincipal) -> list[int]:
    """Ids of the places where the principal holds a grant (for a form's place choice)."""
    paths = {g.scope for g in principal.grants}
    return list(uow.session.scalars(select(Place.id).where(Place.path.in_(paths))))
