"""Sensor messages and rules: parsing and checking a message, and what a rule asks for.

Pure: no database, no broker. The service (:mod:`rescity.community.sensors.services`) adds
what needs stored state: the device's last sequence number, the resident's quarantine, how
many events a device sent in a window.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from rescity.core.errors import DataFileError

DATA_FILE = "rescity/community/sensor_rules.toml"
MAX_PAYLOAD = 4096


class Reject(StrEnum):
    """Why a message was refused; counted per day, never stored with its content."""

    BAD_PAYLOAD = "bad_payload"
    UNKNOWN_DEVICE = "unknown_device"
    INACTIVE_DEVICE = "inactive_device"
    WRONG_DEVICE = "wrong_device"  # the topic or token names another device
    BAD_EVENT = "bad_event"
    BAD_VALUE = "bad_value"
    REPLAYED = "replayed"
    OUT_OF_ORDER = "out_of_order"
    FUTURE = "future"
    STALE = "stale"
    ERROR = "error"  # the message made the database fail on its own


@dataclass(frozen=True)
class DeviceKind:
    name: str
    events: frozenset[str]
    value_min: float | None = None
    value_max: float | None = None
    value_required: bool = False


@dataclass(frozen=True)
class Rule:
    name: str
    device: str
    event: str
    action: str  # "alert" or "work_order"
    once_per: str  # "event", "hour" or "day"
    when: str = ""
    value_at_least: float | None = None
    count_at_least: int = 0
    window: str = ""  # "day" or "" (then window_minutes)
    window_minutes: int = 0
    alert_kind: str = ""
    severity: str = "medium"
    service_code: str = ""

    def window_start(self, at: datetime, tz: tzinfo) -> datetime:
        if self.window == "day":
            local = at.astimezone(tz)
            return local.replace(hour=0, minute=0, second=0, microsecond=0)
        return at - timedelta(minutes=self.window_minutes)

    def bucket(self, at: datetime, seq: int, tz: tzinfo) -> str:
        """The period in which the rule fires at most once per device."""
        local = at.astimezone(tz)
        if self.once_per == "day":
            return local.strftime("%Y%m%d")
        if self.once_per == "hour":
            return local.strftime("%Y%m%d%H")
        return f"s{seq}"


@dataclass(frozen=True)
class SensorRules:
    kinds: dict[str, DeviceKind]
    rules: tuple[Rule, ...]
    max_future: timedelta
    max_age: timedelta

    def for_event(self, device_kind: str, event: str) -> list[Rule]:
        return [r for r in self.rules if r.device == device_kind and r.event == event]


CONDITIONS = {"", "subject_in_quarantine"}
ONCE_PER = {"event", "hour", "day"}


def parse_rules(text: str, *, source: str = DATA_FILE,
                service_codes: frozenset[str] | None = None) -> SensorRules:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(source, f"not valid TOML: {exc}") from None
    try:
        kinds = {
            name: DeviceKind(name, frozenset(v["events"]), v.get("value_min"), v.get("value_max"),
                             bool(v.get("value_required", False)))
            for name, v in data["devices"].items()
        }
        rules = []
        for i, r in enumerate(data.get("rules", [])):
            rule = Rule(**r)
            where = f"[[rules]] #{i + 1} ({rule.name})"
            if rule.device not in kinds or rule.event not in kinds[rule.device].events:
                raise ValueError(f"{where}: no event '{rule.event}' on device '{rule.device}'")
            if rule.action not in ("alert", "work_order"):
                raise ValueError(f"{where}: action must be alert or work_order")
            if rule.action == "alert" and not rule.alert_kind:
                raise ValueError(f"{where}: an alert rule needs alert_kind")
            if rule.action == "work_order" and (
                not rule.service_code
                or (service_codes is not None and rule.service_code not in service_codes)
            ):
                raise ValueError(f"{where}: unknown service_code '{rule.service_code}'")
            if rule.when not in CONDITIONS or rule.once_per not in ONCE_PER:
                raise ValueError(f"{where}: unknown condition or once_per")
            if rule.count_at_least and rule.window != "day" and rule.window_minutes <= 0:
                raise ValueError(f"{where}: a count needs window = 'day' or window_minutes")
            rules.append(rule)
        limits = data["limits"]
        return SensorRules(kinds, tuple(rules), timedelta(seconds=float(limits["max_future_s"])),
                           timedelta(hours=float(limits["max_age_h"])))
    except (KeyError, TypeError, ValueError) as exc:
        message = f"missing entry {exc}" if isinstance(exc, KeyError) else str(exc)
        raise DataFileError(source, message) from None


@cache
def sensor_rules() -> SensorRules:
    from rescity.community.cases.domain import service_levels

    text = resources.files("rescity.community").joinpath("sensor_rules.toml").read_text("utf-8")
    return parse_rules(text, service_codes=frozenset(service_levels().types))


@dataclass(frozen=True)
class Reading:
    """A well-formed message, not yet checked against the device's stored state."""

    device: str
    seq: int
    at: datetime | None
    event: str
    value: float | None


def parse_message(payload: bytes | str | dict[str, Any]) -> Reading | Reject:
    """Decode and check the shape of one message; never raises."""
    try:
        if isinstance(payload, bytes | str):
            if len(payload) > MAX_PAYLOAD:
                return Reject.BAD_PAYLOAD
            data = json.loads(payload)
        else:
            data = payload
        if not isinstance(data, dict):
            return Reject.BAD_PAYLOAD
        device, seq, event = data.get("device"), data.get("seq"), data.get("event")
        value, at_text = data.get("value"), data.get("at")
        if not isinstance(device, str) or not 0 < len(device) <= 64:
            return Reject.BAD_PAYLOAD
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq < 2**62:
            return Reject.BAD_PAYLOAD
        if not isinstance(event, str) or not 0 < len(event) <= 30:
            return Reject.BAD_PAYLOAD
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return Reject.BAD_VALUE
        at = None
        if at_text is not None:
            if not isinstance(at_text, str):
                return Reject.BAD_PAYLOAD
            at = datetime.fromisoformat(at_text.replace("Z", "+00:00"))
            if at.tzinfo is None:
                return Reject.BAD_PAYLOAD
        return Reading(device, seq, at, event, float(value) if value is not None else None)
    except (ValueError, TypeError, UnicodeDecodeError, RecursionError):
        return Reject.BAD_PAYLOAD


def check_reading(reading: Reading, kind: DeviceKind | None, *, at: datetime,
                  received_at: datetime, rules: SensorRules) -> Reject | None:
    """What is wrong with a reading for its device kind and time, if anything."""
    if kind is None or reading.event not in kind.events:
        return Reject.BAD_EVENT
    if reading.value is None and kind.value_required:
        return Reject.BAD_VALUE
    if reading.value is not None and (
        (kind.value_min is not None and reading.value < kind.value_min)
        or (kind.value_max is not None and reading.value > kind.value_max)
        or reading.value != reading.value  # NaN
    ):
        return Reject.BAD_VALUE
    if at - received_at > rules.max_future:
        return Reject.FUTURE
    if received_at - at > rules.max_age:
        return Reject.STALE
    return None


def condition_met(rule: Rule, value: float | None, *, in_quarantine: bool) -> bool:
    """The parts of a rule that need no counting."""
    if rule.when == "subject_in_quarantine" and not in_quarantine:
        return False
    return not (rule.value_at_least is not None and (value is None or value < rule.value_at_least))
