"""Integers in paths and query strings fit the database before any route sees them.

One app-wide dependency instead of a bound on every parameter: for each ``int`` path or
query parameter of the matched route, a value outside the database's integer range is
refused with 422 naming the parameter (``?offset=7440134056175738…`` used to reach
PostgreSQL and fail there with a 500).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from rescity.core.errors import InputError, Problem
from rescity.core.ids import ID_MAX, in_range


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, tuple, set, typing.Annotated):
        return any(_is_int(a) for a in typing.get_args(annotation) if a is not type(None))
    return False


def _int_params(route: APIRoute) -> tuple[tuple[str, str], ...]:
    """(path or query, name as sent) of every integer parameter of ``route`` (worked out
    once per route and kept on it: routes are not hashable)."""
    known: tuple[tuple[str, str], ...] | None = getattr(route, "_rescity_int_params", None)
    if known is not None:
        return known
    out: dict[tuple[str, str], None] = {}

    def walk(d: Dependant) -> None:
        for kind, params in (("path", d.path_params), ("query", d.query_params)):
            for p in params:
                if _is_int(p.field_info.annotation):
                    out[(kind, p.alias)] = None
        for sub in d.dependencies:
            walk(sub)

    walk(route.dependant)
    route._rescity_int_params = tuple(out)  # type: ignore[attr-defined]
    return tuple(out)


async def bounded_integers(request: Request) -> None:
    """Async on purpose: a plain function would cost every request a thread hand-off."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    problems = []
    for kind, name in _int_params(route):
        values = ([request.path_params.get(name)] if kind == "path"
                  else request.query_params.getlist(name))
        for raw in values:
            if raw is None:
                continue
            text = str(raw).strip().lstrip("+-")
            if text.isascii() and text.isdigit() and (len(text) > 19 or not in_range(int(raw))):
                problems.append(Problem(f"{kind}.{name}",
                                        f"a number from {-ID_MAX - 1} to {ID_MAX}"))
    if problems:
        raise InputError(problems, source="request")
