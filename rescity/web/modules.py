"""The one place where module routers are plugged into the web app.

Each module exposes an ``APIRouter`` from its ``entrypoints/web.py`` (community: from each
capability's ``api.py`` and ``pages.py``); adding a router to the app is one line here.
"""

from __future__ import annotations

from fastapi import APIRouter


def priority_routers() -> list[APIRouter]:
    """Routers matched before all others: they serve the high-rate submissions from phones
    and gate devices (each request would otherwise be tested against every route before)."""
    from rescity.community import api as community_api

    return [community_api.router]


def routers() -> list[APIRouter]:
    from rescity.assess.entrypoints import web as assess_web
    from rescity.community.alerts import pages as community_alerts_pages
    from rescity.community.cases import api as community_cases_api
    from rescity.community.cases import open311_api as community_open311_api
    from rescity.community.cases import pages as community_cases_pages
    from rescity.community.control import api as control_api
    from rescity.community.dashboard import pages as community_dashboard_pages
    from rescity.community.health import pages as community_health_pages
    from rescity.community.help import api as community_help_api
    from rescity.community.help import pages as community_help_pages
    from rescity.community.maps import api as community_maps_api
    from rescity.community.maps import pages as community_maps_pages
    from rescity.community.outbreak.web import router as outbreak_router
    from rescity.community.residents import pages as community_residents_pages
    from rescity.community.residents import person_pages as community_person_pages
    from rescity.community.sensors import api as community_sensors_api
    from rescity.community.sensors import pages as community_sensors_pages
    from rescity.community.supplies import api as supplies_api
    from rescity.community.tracing.web import routers as tracing_routers
    from rescity.knowledge.entrypoints.web import router as knowledge_router

    return [
        assess_web.router,
        community_residents_pages.router,
        community_person_pages.router,
        community_health_pages.router,
        community_alerts_pages.router,
        community_dashboard_pages.router,
        community_cases_api.router,
        community_open311_api.router,
        community_sensors_api.router,
        community_sensors_pages.router,
        community_help_api.router,
        community_cases_pages.router,
        community_help_pages.router,
        knowledge_router,
        *tracing_routers(),
        outbreak_router,
        *control_api.routers(),
        *supplies_api.routers(),
        community_maps_api.router,
        community_maps_pages.router,
    ]


def warm_up() -> None:
    """Load now what modules would otherwise load on their first request (the knowledge
    search's dictionaries), so that the server's start-up heap, frozen out of the garbage
    collector after this, includes them."""
    from rescity.knowledge.services.search import warm_up as knowledge_search

    knowledge_search()
