"""Imports every ORM module so that ``Base.metadata`` knows all tables.

Alembic's environment and the test fixtures import this module. A module adding tables adds
its ORM module here, one line each.
"""

from rescity.community.adapters import orm as community_orm
from rescity.community.adapters import orm_help, orm_operations, orm_sensors
from rescity.core import accounts, audit, places
from rescity.core.notifications import models as notification_models
from rescity.knowledge.adapters import orm as knowledge_orm

__all__ = [
    "accounts",
    "audit",
    "community_orm",
    "knowledge_orm",
    "notification_models",
    "orm_help",
    "orm_operations",
    "orm_sensors",
    "places",
]
