"""Imports every ORM module so that ``Base.metadata`` knows all tables.

Alembic's environment and the test fixtures import this module. A module adding tables adds
its ORM module here, one line each.
"""

from rescity.community.access import adapters as community_access
from rescity.community.alerts import adapters as community_alerts
from rescity.community.cases import adapters as community_cases
from rescity.community.control import adapters as control_orm
from rescity.community.health import adapters as community_health
from rescity.community.help import adapters as community_help
from rescity.community.outbreak import adapters as outbreak_orm
from rescity.community.residents import adapters as community_residents
from rescity.community.sensors import adapters as community_sensors
from rescity.community.shared import adapters as community_shared
from rescity.community.supplies import adapters as supplies_orm
from rescity.community.tracing import adapters as tracing_orm
from rescity.core import accounts, audit, places
from rescity.core.notifications import models as notification_models
from rescity.knowledge.adapters import orm as knowledge_orm

__all__ = [
    "accounts",
    "audit",
    "community_access",
    "community_alerts",
    "community_cases",
    "community_health",
    "community_help",
    "community_residents",
    "community_sensors",
    "community_shared",
    "control_orm",
    "knowledge_orm",
    "notification_models",
    "outbreak_orm",
    "places",
    "supplies_orm",
    "tracing_orm",
]
