"""The cooperation use cases the entrypoints call: matching (services/partners.py) and
recommendations (services/recommendations.py); pairings and plans are in services/plans.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rescity.core.errors import NotFound
from rescity.knowledge.adapters.orm import City
from rescity.knowledge.services.catalogue import get_city
from rescity.knowledge.services.partners import assign_programme, features, match_city
from rescity.knowledge.services.recommendations import (
    Recommendation,
    attach_assessment,
    attach_summary,
    recommend,
)

__all__ = [
    "Recommendation",
    "assign_programme",
    "attach_assessment",
    "attach_summary",
    "features",
    "match_city",
    "recommend",
]


def city_or_404(session: Session, key: str) -> City:
    city = get_city(session, key)
    if city is None:
        raise NotFound(f"no city '{key}'")
    return city
