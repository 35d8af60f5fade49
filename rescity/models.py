"""Imports every ORM module so that ``Base.metadata`` knows all tables.

Alembic's environment and the test fixtures import this module. A module adding tables adds
its ORM module here, one line each.
"""

from rescity.community.adapters import orm as community_orm
from rescity.community.adapters import orm_help, orm_operations, orm_sensors
from rescity.community.control import adapters as control_orm
from rescity.community.supplies import adapters as supplies_orm
from rescity.core import accounts, audit, places
from rescity.knowledge.adapters import orm as knowledge_orm

__all__ = [
    "accounts",
    "audit",
    "community_orm",
    "control_orm",
    "knowledge_orm",
    "orm_help",
    "orm_operations",
    "orm_sensors",
    "places",
    "supplies_orm",
]
