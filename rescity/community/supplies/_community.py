"""The existing community code this capability uses, in one place (the register's tables),
so that a regroup of community touches only this file."""

from __future__ import annotations

from rescity.community.shared.adapters import Dwelling, Household, Resident

__all__ = ["Dwelling", "Household", "Resident"]
