"""The knowledge module's web router: JSON API (/api/kb) and pages (/kb)."""

from __future__ import annotations

from fastapi import APIRouter

from rescity.knowledge.entrypoints import (
    api,
    api_plans,
    compare_pages,
    event_pages,
    map_pages,
    pages,
    plan_pages,
)

router = APIRouter()
router.include_router(api.router)
router.include_router(api_plans.router)
router.include_router(pages.router)
router.include_router(plan_pages.router)
router.include_router(event_pages.router)
router.include_router(map_pages.router)
router.include_router(compare_pages.router)
