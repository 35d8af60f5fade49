"""Case counts per building for the control map, from the outbreak capability's case records
when that capability is installed; an empty mapping otherwise (the map then shows no counts).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from rescity.core.security.policy import Principal

# The outbreak capability's function: (session, principal) → {(grid_id, building): count}.
_PROVIDER = ("rescity.community.outbreak.cases", "case_counts_by_building")


def case_counts(session: Session, principal: Principal) -> dict[tuple[int, str], int]:
    """Open cases per (grid id, building) visible to ``principal``; {} without outbreak."""
    module_name, function = _PROVIDER
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return {}
    provider: Callable[..., Any] | None = getattr(module, function, None)
    if provider is None:
        return {}
    return {(int(g), str(b)): int(n) for (g, b), n in provider(session, principal).items()}
