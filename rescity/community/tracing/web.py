"""Presence tracing's routers, added to the app by ``rescity/web/modules.py``."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from rescity.community.tracing import api, pages

    return [api.router, pages.router]
