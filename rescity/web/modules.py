"""The one place where module routers are plugged into the web app.

Each module exposes an ``APIRouter`` from its ``entrypoints/web.py``; adding a module to the
app is one line here.
"""

from __future__ import annotations

from fastapi import APIRouter


def priority_routers() -> list[APIRouter]:
    """Routers matched before all others: they serve the high-rate submissions from phones
    and gate devices (each request would otherwise be tested against every route before)."""
    from rescity.community.entrypoints import api as community_api

    return [community_api.router]


def routers() -> list[APIRouter]:
    from rescity.assess.entrypoints import web as assess_web
    from rescity.community.control import api as control_api
    from rescity.community.entrypoints import pages as community_pages
    from rescity.community.entrypoints.web_operations import operations_routers
    from rescity.community.supplies import api as supplies_api
    from rescity.knowledge.entrypoints.web import router as knowledge_router

    found: list[APIRouter] = [assess_web.router, community_pages.router]
    found += operations_routers()
    found += control_api.routers()
    found += supplies_api.routers()
    found.append(knowledge_router)
    return found
