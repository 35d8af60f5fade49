"""Personal passes (signed QR tokens), gate scans, and visitors with a host.

A pass token is ``itsdangerous``-signed JSON naming the pass id and a random nonce, so it
cannot be forged and carries no personal data; the database says whether the pass is still
valid (expiry, revocation), so revoking works at once. Scans from a gate device or a guard's
phone become gate events, and the rules turn some of them into alerts: an expired pass, a
person under home quarantine at a gate, and too many passages within a window.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import segno
from itsdangerous import BadSignature
from sqlalchemy import select
from sqlalchemy.orm import Session

from rescity.community.access.adapters import (
    Gate,
    GateRef,
    Pass,
    PassRef,
    gate_by_code,
    household_exits_since,
    insert_gate_event,
    pass_with_resident,
    passages_between,
    visitor_ref,
)
from rescity.community.access.domain import (
    Direction,
    ScanOutcome,
    passage_window,
    too_frequent,
)
from rescity.community.alerts.domain import AlertKind
from rescity.community.alerts.services import alert_raised, rules_in_force
from rescity.community.control.gate import exit_check, explained
from rescity.community.shared.idempotency import IdemKey, Submitted, submitted
from rescity.community.shared.runtime import Runtime
from rescity.community.shared.scoping import (
    get_resident,
    own_resident,
    resident_target,
)
from rescity.community.shared.submissions import ResidentRef
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import Conflict, InputError, NotFound, PermissionDenied, Problem
from rescity.core.places import PlaceLevel, get_place
from rescity.core.security import token_cache
from rescity.core.security.policy import Principal, Target, require
from rescity.core.storage.flows import Flow, run_flow
from rescity.core.storage.uow import UnitOfWork

# A gate's row is cached by scans (see gate_in_cache): writing one empties the caches.
token_cache.watch(Gate)


def qr_svg(content: str, *, scale: int = 4) -> str:
    """An SVG QR code (segno: pure Python, no image library, SVG for crisp phone screens)."""
    out = io.BytesIO()
    segno.make(content, error="m").save(out, kind="svg", scale=scale, border=2)
    return out.getvalue().decode()


# --- passes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedPass:
    id: int
    resident_id: int
    token: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def token_of(rt: Runtime, row: Pass) -> str:
    return str(rt.signer.dumps({"p": row.id, "n": row.nonce}))


def _issued(rt: Runtime, row: Pass) -> IssuedPass:
    return IssuedPass(row.id, row.resident_id, token_of(rt, row), row.issued_at, row.expires_at,
                      row.revoked_at)


def issue_pass(
    uow: UnitOfWork, rt: Runtime, principal: Principal, resident_id: int | None = None, *,
    days: int | None = None,
) -> IssuedPass:
    """A new pass for the resident; any older pass of theirs is revoked.

    Nobody issues a pass to a resident who moved out, and a resident whose pass staff
    revoked cannot issue themselves a new one: only staff can (revocation must hold).
    """
    session = uow.session
    if resident_id is None:
        resident = own_resident(session, principal)
        if resident is None:
            raise NotFound("you are not registered as a resident")
        require(principal, "community.pass.issue", resident_target(session, principal, resident))
        _refuse_if_revoked_by_staff(session, principal, resident.id)
    else:
        resident = get_resident(session, principal, resident_id, "community.pass.issue")
    if resident.left_at is not None:
        raise Conflict(f"resident {resident.id} has moved out: no pass can be issued")
    now = rt.now()
    for old in session.scalars(
        select(Pass).where(Pass.resident_id == resident.id, Pass.revoked_at.is_(None))
    ):
        old.revoked_at, old.revoked_by = now, principal.user_id
    row = Pass(
        resident_id=resident.id, scope=resident.scope, nonce=secrets.token_hex(16),
        issued_by=principal.user_id, issued_at=now,
        expires_at=now + timedelta(days=days or rt.settings.community_pass_days),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.pass.issue",
        record_type="pass", record_id=row.id, scope=row.scope,
    )
    uow.commit()
    return _issued(rt, row)


def _refuse_if_revoked_by_staff(session: Session, principal: Principal, resident_id: int) -> None:
    latest = session.scalar(
        select(Pass).where(Pass.resident_id == resident_id).order_by(Pass.id.desc()).limit(1)
    )
    if latest is not None and latest.revoked_at is not None and (
        latest.revoked_by != principal.user_id
    ):
        raise PermissionDenied("your pass was revoked; ask your grid worker for a new one")


def current_pass(uow: UnitOfWork, rt: Runtime, principal: Principal) -> IssuedPass:
    """The signed-in resident's valid pass (issued on first use)."""
    session = uow.session
    resident = own_resident(session, principal)
    if resident is None:
        raise NotFound("you are not registered as a resident")
    require(principal, "community.pass.read", resident_target(session, principal, resident))
    row = session.scalar(
        select(Pass).where(
            Pass.resident_id == resident.id, Pass.revoked_at.is_(None),
            Pass.expires_at > rt.now(),
        ).order_by(Pass.id.desc())
    )
    if row is None:
        return issue_pass(uow, rt, principal)
    return _issued(rt, row)


def revoke_pass(uow: UnitOfWork, rt: Runtime, principal: Principal, pass_id: int) -> None:
    session = uow.session
    row = session.get(Pass, pass_id)
    if row is None:
        raise NotFound(f"no pass {pass_id}")
    require(principal, "community.pass.revoke", Target(scope=row.scope))
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = rt.now(), principal.user_id
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.pass.revoke",
        record_type="pass", record_id=row.id, scope=row.scope,
    )
    uow.commit()


# --- gates and scans ------------------------------------------------------------------------


def create_gate(
    uow: UnitOfWork, principal: Principal, *, community_code: str, code: str, name: str
) -> Gate:
    session = uow.session
    community = get_place(session, community_code)
    if community.level != PlaceLevel.COMMUNITY:
        raise InputError([Problem("community", f"'{community_code}' is not a community")])
    require(principal, "community.gate.manage", Target(scope=community.path))
    if not code.strip():
        raise InputError([Problem("code", "must not be empty")])
    if session.scalar(select(Gate.id).where(Gate.code == code)) is not None:
        raise Conflict(f"gate code '{code}' is already used")
    gate = Gate(community_id=community.id, scope=community.path, code=code, name=name or code)
    session.add(gate)
    session.flush()
    audit.record(
        session, principal, kind=AuditKind.WRITE, action="community.gate.manage",
        record_type="gate", record_id=gate.id, scope=gate.scope,
    )
    uow.commit()
    return gate


@dataclass(frozen=True)
class Scan:
    gate: str
    direction: Direction
    token: str | None = None
    visitor_id: int | None = None


def _pass_of(rt: Runtime, token: str) -> Flow[tuple[PassRef, ResidentRef | None] | None]:
    """The pass a token names (and its resident, read in the same query), if genuine."""
    try:
        data = rt.signer.loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    pass_id = data.get("p")
    if not isinstance(pass_id, int) or isinstance(pass_id, bool):
        return None
    found = yield from pass_with_resident(pass_id)
    if found is None or not secrets.compare_digest(found[0].nonce, str(data.get("n", ""))):
        return None
    return found


def gate_in_cache(rt: Runtime, code: str) -> Flow[GateRef | None]:
    """The gate with this code, remembered in the runtime's short cache (gates change
    rarely; a scan names its gate every time). Writes to gates in this process empty it; an
    unknown code is not remembered, so a new gate works at once."""
    cache = rt.gates_cache
    if cache is None or not cache.enabled:
        return (yield from gate_by_code(code))
    found: GateRef | None = cache.get(code, rt.now())
    if found is None:
        found = yield from gate_by_code(code)
        if found is not None:
            cache.put(code, found, None)
    return found


def record_scan(
    uow: UnitOfWork, rt: Runtime, principal: Principal, scan: Scan, *,
    idem: IdemKey | None = None,
) -> Submitted:
    """Record one passage (or refused passage) and raise the alerts the rules ask for."""
    return run_flow(uow.session, scan_recorded(rt, principal, scan, idem=idem))


def scan_recorded(
    rt: Runtime, principal: Principal, scan: Scan, *, idem: IdemKey | None = None,
) -> Flow[Submitted]:
    """:func:`record_scan` as a flow (the API runs it on the event loop on PostgreSQL)."""
    gate = yield from gate_in_cache(rt, scan.gate)
    if gate is None:
        raise NotFound(f"no gate '{scan.gate}'")
    require(principal, "community.gate.create", Target(scope=gate.scope))
    if (scan.token is None) == (scan.visitor_id is None):
        raise InputError([Problem("token", "send either a pass token or a visitor id")])
    return (yield from submitted(rt, idem, _scan_work(rt, principal, scan, gate)))


def _scan_work(
    rt: Runtime, principal: Principal, scan: Scan, gate: GateRef,
) -> Flow[tuple[int, dict[str, Any]]]:
    now = rt.now()
    rules = yield from rules_in_force(rt, gate.scope)
    direction = scan.direction.value
    outcome = ScanOutcome.ADMITTED
    scope = gate.scope
    pass_id: int | None = None
    resident_id: int | None = None
    visitor_id: int | None = None
    raised: list[int] = []
    resident: ResidentRef | None = None
    control: dict[str, Any] | None = None
    if scan.token is not None:
        hit = yield from _pass_of(rt, scan.token)
        if hit is None or not hit[0].scope.startswith(gate.scope):
            outcome = ScanOutcome.INVALID
        else:
            row, resident = hit
            pass_id, resident_id, scope = row.id, row.resident_id, row.scope
            if row.revoked_at is not None or resident is None or resident.left_at is not None:
                outcome = ScanOutcome.REVOKED
            elif row.expires_at <= now:
                outcome = ScanOutcome.EXPIRED
            elif resident is not None and resident.quarantine_until is not None and (
                resident.quarantine_until > now
            ):
                outcome = ScanOutcome.QUARANTINED
            elif scan.direction is Direction.OUT:  # building control status (issue 16)
                decision = yield from exit_check(resident.id, resident.household_id, now, rt.zone,
                                                 household_exits_since)
                if decision is not None:
                    control = explained(decision)
                    if not decision.admitted:
                        outcome = ScanOutcome(decision.outcome)
    else:
        assert scan.visitor_id is not None
        visitor = yield from visitor_ref(scan.visitor_id)
        if visitor is None or not visitor.scope.startswith(gate.scope):
            outcome = ScanOutcome.INVALID
        else:
            visitor_id, scope = visitor.id, visitor.scope
            if not visitor.expected_from - timedelta(minutes=30) <= now <= (
                visitor.expected_until
            ) and scan.direction is Direction.IN:
                outcome = ScanOutcome.OUTSIDE_WINDOW
    event_id = yield from insert_gate_event({
        "gate_id": gate.id, "scope": scope, "at": now, "direction": direction,
        "outcome": outcome.value, "resident_id": resident_id, "visitor_id": visitor_id,
        "pass_id": pass_id, "recorded_by": principal.user_id,
    })
    day = rt.today()
    if resident is not None:
        for refused, kind, dedup_key in (
            (ScanOutcome.EXPIRED, AlertKind.EXPIRED_PASS, f"expired:p{pass_id}:{day}"),
            (ScanOutcome.QUARANTINED, AlertKind.QUARANTINE_BREACH,
             f"quarantine:r{resident.id}:{day}"),
        ):
            if outcome == refused and rules[kind].enabled:
                raised.append((yield from alert_raised(
                    kind=kind, scope=scope, severity=rules[kind].severity, source="gate",
                    source_ref=str(event_id), subject_type="resident", subject_id=resident.id,
                    dedup_key=dedup_key, now=now,
                    detail={"gate": gate.code, "direction": direction},
                )))
    frequent = rules[AlertKind.FREQUENT_ACCESS]
    if resident is not None and frequent.enabled:
        window = timedelta(minutes=frequent.number("window_minutes"))
        passages = yield from passages_between(resident.id, *passage_window(now, window))
        if too_frequent(passages, max_passages=int(frequent.number("max_passages"))):
            bucket = int(now.timestamp() // window.total_seconds())
            raised.append((yield from alert_raised(
                kind=AlertKind.FREQUENT_ACCESS, scope=scope, severity=frequent.severity,
                source="gate", source_ref=str(event_id), subject_type="resident",
                subject_id=resident.id, dedup_key=f"frequent:r{resident.id}:{bucket}",
                now=now, detail={"passages": passages, "window_minutes": window.seconds // 60},
            )))
    yield from audit.appended(
        principal, kind=AuditKind.WRITE, action="community.gate.scan",
        record_type="gate_event", record_id=event_id, scope=scope,
        detail={"gate": gate.code, "outcome": outcome.value},
    )
    body = {
        "id": event_id, "gate": gate.code, "direction": direction,
        "outcome": outcome.value, "at": now.isoformat(),
        "admitted": outcome == ScanOutcome.ADMITTED, "alerts": raised,
    }
    if control is not None:
        body["control"] = control
    return 201, body


# --- visitors -------------------------------------------------------------------------------


