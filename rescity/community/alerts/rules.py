"""Alert rules as data: defaults from ``alert_rules.toml``, overridden per community."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from rescity.community.alerts.domain import AlertKind, Severity
from rescity.core.errors import InputError, Problem

# Parameters each rule takes, with their type and allowed range.
PARAMS: dict[AlertKind, dict[str, tuple[type, float, float]]] = {
    AlertKind.FEVER: {"threshold_c": (float, 36.0, 40.0)},
    AlertKind.SYMPTOMS: {},
    AlertKind.MISSED_CHECKIN: {"deadline_hour": (int, 0, 23)},
    AlertKind.FREQUENT_ACCESS: {"max_passages": (int, 1, 1000), "window_minutes": (int, 1, 1440)},
    AlertKind.QUARANTINE_BREACH: {},
    AlertKind.EXPIRED_PASS: {},
}


@dataclass(frozen=True)
class Rule:
    kind: AlertKind
    enabled: bool
    severity: Severity
    params: dict[str, Any]

    def number(self, name: str) -> float:
        value = self.params[name]
        return float(value)


def validate(kind: AlertKind, values: dict[str, Any], *, where: str) -> dict[str, Any]:
    """Check one rule's values; returns them normalised or raises with every problem."""
    problems = []
    out: dict[str, Any] = {}
    allowed = {"enabled", "severity", *PARAMS[kind]}
    for key in sorted(set(values) - allowed):
        problems.append(Problem(f"{where}.{key}", "unknown setting for this rule"))
    if "enabled" in values:
        if not isinstance(values["enabled"], bool):
            problems.append(Problem(f"{where}.enabled", "must be true or false"))
        out["enabled"] = values["enabled"]
    if "severity" in values:
        if values["severity"] not in set(Severity):
            problems.append(Problem(f"{where}.severity", f"one of {', '.join(Severity)}"))
        out["severity"] = values["severity"]
    for name, (typ, low, high) in PARAMS[kind].items():
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(Problem(f"{where}.{name}", "must be a number"))
            continue
        if typ is int and value != int(value):
            problems.append(Problem(f"{where}.{name}", "must be a whole number"))
        if not low <= value <= high:
            problems.append(Problem(f"{where}.{name}", f"must be between {low:g} and {high:g}"))
        out[name] = typ(value)
    if problems:
        raise InputError(problems, source="alert rules")
    return out


@cache
def defaults() -> dict[AlertKind, Rule]:
    text = resources.files("rescity.community").joinpath("alert_rules.toml").read_text("utf-8")
    data = tomllib.loads(text)
    missing = [k for k in AlertKind if k.value not in data]
    if missing:
        raise InputError([Problem("alert_rules.toml", f"no defaults for {missing}")])
    out = {}
    for kind in AlertKind:
        values = validate(kind, data[kind.value], where=f"alert_rules.toml [{kind.value}]")
        out[kind] = _rule(kind, values)
    return out


def _rule(kind: AlertKind, values: dict[str, Any]) -> Rule:
    return Rule(
        kind=kind,
        enabled=bool(values.get("enabled", True)),
        severity=Severity(values.get("severity", Severity.MEDIUM)),
        params={k: v for k, v in values.items() if k not in ("enabled", "severity")},
    )


def merged(overrides: dict[AlertKind, dict[str, Any]]) -> dict[AlertKind, Rule]:
    """The defaults with a community's overrides laid over them."""
    out = {}
    for kind, base in defaults().items():
        values = {"enabled": base.enabled, "severity": base.severity.value, **base.params}
        values.update(overrides.get(kind, {}))
        out[kind] = _rule(kind, values)
    return out
