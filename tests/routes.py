"""The app's routes with their full paths, for tests that check every route (authorization
tables, navigation)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute


def app_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path. FastAPI ≥ 0.16x keeps included routers as wrappers
    in ``app.routes`` (so a plain scan of it finds none): walk into them."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from app_routes(route.original_router.routes,
                                  prefix + route.include_context.prefix)
