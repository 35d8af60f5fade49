"""Part II's web surface: the routers for cases, Open311, help requests, sensors and pages.

``rescity/web/modules.py`` adds them with one line: ``found += operations_routers()``.
"""

from __future__ import annotations

from fastapi import APIRouter


def operations_routers() -> list[APIRouter]:
    from rescity.community.entrypoints import (
        open311,
        pages_operations,
        web_cases,
        web_help,
        web_sensors,
    )

    return [web_cases.router, open311.router, web_sensors.router, web_help.router,
            pages_operations.router]
