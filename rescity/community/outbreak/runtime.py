"""What the outbreak services need besides a unit of work, built once per app.

The clock and the noise are injected: tests move time and replace the noise to check what
happens around it (suppression, scope), and check the real noise on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from rescity.community.outbreak.dp import Noise, discrete_laplace
from rescity.community.outbreak.retention import field_policies
from rescity.core.config import Settings
from rescity.core.security.personal_data import FieldCipher, FieldPolicyTable
from rescity.core.storage.db import utcnow


@dataclass(frozen=True)
class OutbreakRuntime:
    settings: Settings
    cipher: FieldCipher
    fields: FieldPolicyTable
    clock: Callable[[], datetime] = utcnow
    noise: Noise = discrete_laplace

    @classmethod
    def create(cls, settings: Settings, *, clock: Callable[[], datetime] = utcnow,
               noise: Noise = discrete_laplace) -> OutbreakRuntime:
        return cls(settings, FieldCipher.from_settings(settings), field_policies(), clock, noise)

    def with_(self, **changes: object) -> OutbreakRuntime:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.community_timezone)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()
