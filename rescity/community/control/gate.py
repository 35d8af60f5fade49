"""The gate's question, as a flow: may this resident leave now, and why (not)?

Called from the scan flow for a resident's exit that would otherwise be admitted, so the
synchronous path (``run_flow``) and the event-loop path (asyncpg) decide alike. No status in
force costs one indexed query; a household quota one more.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from rescity.community.control.adapters import permit_in_force, statuses_in_force
from rescity.community.control.domain import ExitDecision, GateRule, exit_decision, strictest
from rescity.core.i18n import catalog
from rescity.core.storage.flows import Flow


def local_day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of ``now``'s local day (the household quota counts per local day)."""
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


ExitsSince = Callable[[int, datetime], Flow[int]]


def exit_check(resident_id: int, household_id: int, now: datetime, zone: ZoneInfo,
               exits_since: ExitsSince) -> Flow[ExitDecision | None]:
    """The decision for a resident (of ``household_id``) leaving at ``now``; None when no
    status is in force for their building. ``exits_since`` counts the household's admitted
    exits (the gates' log belongs to access, which calls this: control never imports it)."""
    status = strictest((yield from statuses_in_force(household_id, now)))
    if status is None:
        return None
    exits = 0
    if status.gate is GateRule.HOUSEHOLD_QUOTA:
        exits = yield from exits_since(household_id, local_day_start(now, zone))
    permit = False
    if status.gate is GateRule.PERMIT:
        permit = yield from permit_in_force(resident_id, now)
    return exit_decision(status, exits, has_permit=permit)


def explained(decision: ExitDecision) -> dict[str, Any]:
    """The decision as the scan's answer carries it: status, reason key and the message in
    both languages (a gate device has no session language)."""
    params = {"n": decision.exits_left} if decision.exits_left is not None else {}
    return {
        "status": decision.status.key,
        "label": {"zh": decision.status.label_zh, "en": decision.status.label_en},
        "admitted": decision.admitted,
        "reason": decision.reason_key,
        "message": {lang: catalog(lang)[decision.reason_key].format(
            status=decision.status.label(lang), **params) for lang in ("zh", "en")},
    }
