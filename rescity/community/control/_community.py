"""The existing community code this capability uses, in one place (tables of the register and
the gates, and the alert producer), so that a regroup of community touches only this file."""

from __future__ import annotations

from rescity.community.adapters.orm import Dwelling, GateEvent, Household, Resident
from rescity.community.services.alerts import raise_alert

__all__ = ["Dwelling", "GateEvent", "Household", "Resident", "raise_alert"]
