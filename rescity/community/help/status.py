"""A help request's status from its offers, and its escalation to a professional when too
many offers failed: used by the request steps (``services``) and the matching round
(``matching_run``), which therefore need not import each other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.alerts.raising import raise_alert
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.help.adapters import HelpOffer, HelpRequest
from rescity.community.help.domain import (
    HelpRules,
    HelpStatus,
    OfferState,
    Urgency,
    help_rules,
)


def refresh_status(s: Session, req: HelpRequest, now: datetime) -> None:
    """open / offered / accepted from the request's offers (before the work starts)."""
    if HelpStatus(req.status) not in (HelpStatus.OPEN, HelpStatus.OFFERED, HelpStatus.ACCEPTED):
        return
    states = list(s.scalars(select(HelpOffer.state).where(HelpOffer.request_id == req.id)))
    accepted = states.count(OfferState.ACCEPTED)
    if accepted >= req.volunteers_needed:
        req.status = HelpStatus.ACCEPTED.value
    elif OfferState.OFFERED in states:
        req.status = HelpStatus.OFFERED.value
    else:
        req.status = HelpStatus.OPEN.value
    req.updated_at = now


SEVERITY = {Urgency.URGENT: "high", Urgency.HIGH: "high"}


def escalate_if_due(s: Session, rt: OpsRuntime, req: HelpRequest, rules: HelpRules | None = None
                    ) -> bool:
    rules = rules or help_rules()
    if req.attempts < rules.escalate_after or req.status != HelpStatus.OPEN:
        return False
    req.status = HelpStatus.ESCALATED.value
    raise_alert(s, kind="help_unmatched", scope=req.scope,
                severity=SEVERITY.get(Urgency(req.urgency), "medium"), source="help",
                source_ref=f"help_request:{req.id}", subject_type="help_request",
                subject_id=req.id, dedup_key=f"help:{req.id}:escalated", now=rt.now(),
                detail={"kind": req.kind, "attempts": req.attempts, "urgency": req.urgency})
    return True
