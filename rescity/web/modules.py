"""The one place where module routers are plugged into the web app.

Each module exposes an ``APIRouter`` from its ``entrypoints/web.py``; adding a module to the
app is one line here.
"""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from rescity.knowledge.entrypoints.web import router as knowledge_router

    found: list[APIRouter] = [knowledge_router]
    return found
