"""The outbreak capability's web surface as one router (JSON API and pages)."""

from __future__ import annotations

from fastapi import APIRouter

from rescity.community.outbreak import api, pages

router = APIRouter()
router.include_router(api.router)
router.include_router(pages.router)
