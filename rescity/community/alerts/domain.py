"""Alerts: kinds, severities and the lifecycle new → acknowledged → resolved.

An alert is a record any part of the platform may raise (check-ins and gates here; sensors
over MQTT and work orders in part II): a kind, a scope (the grid it belongs to), a source and
a de-duplication key, never personal data in its detail.
"""

from __future__ import annotations

from enum import StrEnum


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class AlertKind(StrEnum):
    FEVER = "fever"
    SYMPTOMS = "symptoms"
    MISSED_CHECKIN = "missed_checkin"
    FREQUENT_ACCESS = "frequent_access"
    QUARANTINE_BREACH = "quarantine_breach"
    EXPIRED_PASS = "expired_pass"  # noqa: S105 - not a password


# Allowed moves; resolving a new alert acknowledges it in the same step.
TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.NEW: frozenset({AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED}),
    AlertStatus.ACKNOWLEDGED: frozenset({AlertStatus.RESOLVED}),
    AlertStatus.RESOLVED: frozenset(),
}


def can_move(current: AlertStatus, target: AlertStatus) -> bool:
    return target in TRANSITIONS[current]
