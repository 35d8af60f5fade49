"""The existing community code this capability uses, in one place (tables of the register and the
alert producer), so that a regroup of community touches only this file."""

from __future__ import annotations

from rescity.community.alerts.adapters import Alert
from rescity.community.alerts.domain import Severity
from rescity.community.alerts.services import raise_alert
from rescity.community.shared.adapters import Dwelling, Household, Resident

__all__ = ["Alert", "Dwelling", "Household", "Resident", "Severity", "raise_alert"]
