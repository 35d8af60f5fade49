"""What the community services need besides a unit of work, built once at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from itsdangerous import URLSafeSerializer

from rescity.core.config import Settings
from rescity.core.security.personal_data import (
    FieldCipher,
    FieldPolicyTable,
    load_field_policies,
)
from rescity.core.security.token_cache import TokenCache
from rescity.core.storage.db import utcnow


@cache
def field_policies() -> FieldPolicyTable:
    """The community module's personal-field table (``personal_fields.toml``)."""
    text = resources.files("rescity.community").joinpath("personal_fields.toml").read_text("utf-8")
    return load_field_policies(text, source="rescity/community/personal_fields.toml")


@dataclass(frozen=True)
class Runtime:
    """Settings, the field cipher, the field policies, the pass signer and the clock.

    The clock is injected so that tests (and the retention job's ``--now``) control time.
    """

    settings: Settings
    cipher: FieldCipher
    fields: FieldPolicyTable
    signer: URLSafeSerializer
    clock: Callable[[], datetime] = utcnow
    # Alert rules in force per scope, for RESCITY_COMMUNITY_RULES_CACHE_S (see alerts.rules_for).
    rules_cache: TokenCache[Any] | None = None
    # Gates by code, for the same time (see access.gate_in_cache).
    gates_cache: TokenCache[Any] | None = None

    @classmethod
    def create(
        cls, settings: Settings, *, clock: Callable[[], datetime] = utcnow
    ) -> Runtime:
        return cls(
            settings=settings,
            cipher=FieldCipher.from_settings(settings),
            fields=field_policies(),
            signer=URLSafeSerializer(settings.secret_key, salt="rescity.community.pass"),
            clock=clock,
            rules_cache=TokenCache(settings.community_rules_cache_s),
            gates_cache=TokenCache(settings.community_rules_cache_s),
        )

    def with_clock(self, clock: Callable[[], datetime]) -> Runtime:
        return Runtime(self.settings, self.cipher, self.fields, self.signer, clock,
                       self.rules_cache, self.gates_cache)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.community_timezone)

    def now(self) -> datetime:
        return self.clock()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def today(self) -> date:
        """The community's local calendar day (a check-in at 23:30 in Shanghai is today)."""
        return self.local(self.now()).date()
