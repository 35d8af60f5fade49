"""Imports every ORM module so that ``Base.metadata`` knows all tables.

Alembic's environment and the test fixtures import this module. A module adding tables adds
its ORM module here.
"""

from rescity.community.adapters import orm as community_orm
from rescity.community.adapters import orm_help, orm_operations, orm_sensors  # noqa: F401
from rescity.core import accounts, audit, places

__all__ = ["accounts", "audit", "community_orm", "places"]
