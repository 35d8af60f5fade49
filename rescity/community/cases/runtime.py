"""What the services of cases, help and sensors need besides a unit of work (with the
service levels of cases), built once at start-up.

The clock is injected so that tests (deadlines, escalation, offer expiry) control time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from rescity.community.cases.domain import ServiceLevels, service_levels
from rescity.core.config import Settings
from rescity.core.security.personal_data import (
    FieldCipher,
    FieldPolicyTable,
    load_field_policies,
)
from rescity.core.storage.db import utcnow

DEFAULT_TIMEZONE = "Asia/Shanghai"


@cache
def field_policies() -> FieldPolicyTable:
    text = (
        resources.files("rescity.community").joinpath("personal_fields_ops.toml").read_text("utf-8")
    )
    return load_field_policies(text, source="rescity/community/personal_fields_ops.toml")


@dataclass(frozen=True)
class OpsRuntime:
    settings: Settings
    cipher: FieldCipher
    levels: ServiceLevels
    fields: FieldPolicyTable
    zone: ZoneInfo
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def create(cls, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> OpsRuntime:
        # Part I adds a ``community_timezone`` setting; until then the module's default.
        zone = getattr(settings, "community_timezone", DEFAULT_TIMEZONE)
        return cls(
            settings=settings,
            cipher=FieldCipher.from_settings(settings),
            levels=service_levels(),
            fields=field_policies(),
            zone=ZoneInfo(str(zone)),
            clock=clock,
        )

    def with_clock(self, clock: Callable[[], datetime]) -> OpsRuntime:
        return replace(self, clock=clock)

    def now(self) -> datetime:
        return self.clock()
