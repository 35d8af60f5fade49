"""The existing community code this capability uses, in one place (tables of the register and
the gates, and the alert producer), so that a regroup of community touches only this file."""

from __future__ import annotations

from rescity.community.adapters.orm import Alert, Dwelling, GateEvent, Household, Resident
from rescity.community.domain.alerts import Severity
from rescity.community.services.alerts import raise_alert

__all__ = ["Alert", "Dwelling", "GateEvent", "Household", "Resident", "Severity", "raise_alert"]
