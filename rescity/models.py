"""Imports every ORM module so that ``Base.metadata`` knows all tables.

Alembic's environment and the test fixtures import this module. A module adding tables adds
its ORM module here.
"""

from rescity.core import accounts, audit, places
from rescity.knowledge.adapters import orm as knowledge_orm

__all__ = ["accounts", "audit", "knowledge_orm", "places"]
