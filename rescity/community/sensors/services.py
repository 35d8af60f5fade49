"""Sensor events in: check, store minimally, and apply the rules, a batch per transaction.

:func:`ingest` takes a batch of messages (from the MQTT consumer or the HTTP fallback), and
in ONE transaction stores the accepted events, moves each device's sequence number, raises
the alerts and files the work orders the rules ask for, and counts the rejections. The MQTT
consumer acknowledges the batch only after this commit, so a crash loses nothing: the broker
redelivers, and the sequence check turns the redelivered copies into counted replays.

A batch that makes the database fail is retried one message per transaction, so a single
poisonous message is rejected (``error``) instead of blocking the rest for ever.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from rescity.community.alerts.adapters import Alert
from rescity.community.alerts.raising import existing_keys, nearest_grant
from rescity.community.cases.domain import Channel
from rescity.community.cases.runtime import OpsRuntime
from rescity.community.cases.services import CaseInput, file_case_in
from rescity.community.sensors import domain as sd
from rescity.community.sensors.adapters import Device, SensorEvent, SensorReject
from rescity.community.sensors.domain import Reading, Reject, Rule, SensorRules
from rescity.community.shared import notices
from rescity.community.shared.adapters import Resident
from rescity.core import audit
from rescity.core.audit import AuditKind
from rescity.core.errors import InputError, Problem
from rescity.core.places import Place
from rescity.core.security.policy import Principal, Role, Target, require
from rescity.core.storage.flows import run_flow
from rescity.core.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_device(uow: UnitOfWork, principal: Principal | None, *, code: str, kind: str,
                    place: Place, rules: SensorRules, label: str = "",
                    resident_id: int | None = None) -> str:
    """Add a device; returns its HTTP token (shown once, stored as a SHA-256)."""
    require(principal, "community.sensor.device.create", Target(scope=place.path))
    problems = []
    if kind not in rules.kinds:
        problems.append(Problem("kind", f"one of {', '.join(sorted(rules.kinds))}"))
    if not code or len(code) > 64 or "/" in code or "+" in code or "#" in code:
        problems.append(Problem("code", "1–64 characters without / + #"))
    elif uow.session.scalar(select(Device.id).where(Device.code == code)) is not None:
        problems.append(Problem("code", f"device '{code}' exists"))
    if resident_id is not None and uow.session.get(Resident, resident_id) is None:
        problems.append(Problem("resident", f"no resident {resident_id}"))
    if problems:
        raise InputError(problems, source="device")
    token = "dev_" + secrets.token_urlsafe(24)
    device = Device(code=code, kind=kind, label=label[:200], place_id=place.id,
                    scope=place.path, token_digest=token_digest(token),
                    subject_type="resident" if resident_id else "", subject_id=resident_id)
    uow.session.add(device)
    uow.session.flush()
    audit.record(uow.session, principal, kind=AuditKind.WRITE,
                 action="community.sensor.device.create", record_type="device",
                 record_id=device.id, scope=place.path)
    uow.commit()
    return token


def device_for_token(session: Session, token: str) -> Device | None:
    device = session.scalar(select(Device).where(Device.token_digest == token_digest(token)))
    return device if device is not None and device.active else None


@dataclass(frozen=True)
class Incoming:
    payload: bytes | str | dict[str, Any]
    received_at: datetime
    claimed_device: str | None = None  # from the MQTT topic or the HTTP token


@dataclass
class IngestResult:
    outcomes: list[str] = field(default_factory=list)  # "accepted" or a Reject, per message
    alerts: int = 0
    cases: int = 0

    @property
    def accepted(self) -> int:
        return self.outcomes.count("accepted")

    @property
    def rejected(self) -> Counter[str]:
        return Counter(o for o in self.outcomes if o != "accepted")


@dataclass
class _Accepted:
    device: Device
    reading: Reading
    at: datetime
    received_at: datetime


def ingest(uow: UnitOfWork, rt: OpsRuntime, rules: SensorRules,
           batch: Sequence[Incoming]) -> IngestResult:
    """Check, store and apply rules to a batch in one transaction; commits."""
    try:
        result = _ingest(uow.session, rt, rules, batch)
        uow.commit()
        return result
    except SQLAlchemyError:
        uow.rollback()
        if len(batch) == 1:
            log.exception("a sensor message made the database fail; rejected")
            _count_rejects(uow.session, rt, Counter({Reject.ERROR.value: 1}), batch[0].received_at)
            uow.commit()
            return IngestResult([Reject.ERROR.value])
        log.warning("sensor batch of %d failed; retrying one by one", len(batch))
    merged = IngestResult()
    for one in batch:
        r = ingest(uow, rt, rules, [one])
        merged.outcomes += r.outcomes
        merged.alerts += r.alerts
        merged.cases += r.cases
    return merged


def _ingest(s: Session, rt: OpsRuntime, rules: SensorRules,
            batch: Sequence[Incoming]) -> IngestResult:
    parsed = [sd.parse_message(m.payload) for m in batch]
    codes = {p.device for p in parsed if isinstance(p, Reading)}
    devices = {d.code: d for d in s.scalars(select(Device).where(Device.code.in_(codes)))} \
        if codes else {}
    outcomes: list[str] = []
    accepted: list[_Accepted] = []
    behind: list[tuple[int, Device, int]] = []  # (outcome index, device, seq) to classify
    last_seq = {d.id: d.last_seq for d in devices.values()}
    seen: set[tuple[int, int]] = set()
    for msg, p in zip(batch, parsed, strict=True):
        outcome, device = _check(msg, p, devices, rules)
        if outcome is None and isinstance(p, Reading) and device is not None:
            at = p.at or msg.received_at
            why = sd.check_reading(p, rules.kinds.get(device.kind), at=at,
                                   received_at=msg.received_at, rules=rules)
            if why is not None:
                outcome = why.value
            elif (device.id, p.seq) in seen:
                outcome = Reject.REPLAYED.value
            elif p.seq <= last_seq[device.id]:
                behind.append((len(outcomes), device, p.seq))
                outcome = Reject.OUT_OF_ORDER.value
            else:
                last_seq[device.id] = p.seq
                seen.add((device.id, p.seq))
                accepted.append(_Accepted(device, p, at, msg.received_at))
                outcome = "accepted"
        outcomes.append(outcome or Reject.BAD_PAYLOAD.value)
    _classify_replays(s, behind, outcomes)
    result = IngestResult(outcomes)
    if accepted:
        _store(s, accepted, last_seq)
        result.alerts, result.cases = _apply_rules(s, rt, rules, accepted)
    rejected = Counter(o for o in outcomes if o != "accepted")
    if rejected:
        _count_rejects(s, rt, rejected, batch[0].received_at)
    return result


def _check(msg: Incoming, p: Reading | Reject, devices: dict[str, Device],
           rules: SensorRules) -> tuple[str | None, Device | None]:
    if isinstance(p, Reject):
        return p.value, None
    if msg.claimed_device is not None and msg.claimed_device != p.device:
        return Reject.WRONG_DEVICE.value, None
    device = devices.get(p.device)
    if device is None:
        return Reject.UNKNOWN_DEVICE.value, None
    if not device.active:
        return Reject.INACTIVE_DEVICE.value, None
    return None, device


def _classify_replays(s: Session, behind: list[tuple[int, Device, int]],
                      outcomes: list[str]) -> None:
    """A message at or below the last sequence number is a replay if it was stored."""
    if not behind:
        return
    pairs = {(d.id, seq) for _, d, seq in behind}
    stored = {(row[0], row[1]) for row in s.execute(
        select(SensorEvent.device_id, SensorEvent.seq).where(
            tuple_(SensorEvent.device_id, SensorEvent.seq).in_(list(pairs))))}
    for index, device, seq in behind:
        if (device.id, seq) in stored:
            outcomes[index] = Reject.REPLAYED.value


def _store(s: Session, accepted: list[_Accepted], last_seq: dict[int, int]) -> None:
    s.execute(insert(SensorEvent), [
        {"device_id": a.device.id, "scope": a.device.scope, "kind": a.reading.event,
         "at": a.at, "seq": a.reading.seq, "value": a.reading.value,
         "received_at": a.received_at}
        for a in accepted
    ])
    last_at: dict[int, datetime] = {}
    for a in accepted:
        last_at[a.device.id] = max(a.at, last_at.get(a.device.id, a.at))
    s.execute(update(Device), [
        {"id": device_id, "last_seq": last_seq[device_id], "last_at": at}
        for device_id, at in last_at.items()
    ])


def _apply_rules(s: Session, rt: OpsRuntime, rules: SensorRules,
                 accepted: list[_Accepted]) -> tuple[int, int]:
    firing: list[tuple[Rule, _Accepted, int]] = []  # (rule, event, count)
    candidates = [(r, a) for a in accepted for r in rules.for_event(a.device.kind, a.reading.event)]
    if not candidates:
        return 0, 0
    quarantined = _quarantined(s, [a for r, a in candidates if r.when])
    counted: list[tuple[Rule, _Accepted]] = []
    for rule, a in candidates:
        in_q = (a.device.subject_id, a.at) in quarantined
        if not sd.condition_met(rule, a.reading.value, in_quarantine=in_q):
            continue
        if rule.count_at_least:
            counted.append((rule, a))
        else:
            firing.append((rule, a, 1))
    firing += _counts(s, rt, counted)
    keyed = {f"sensor:{rule.name}:{a.device.code}:{rule.bucket(a.at, a.reading.seq, rt.zone)}":
             (rule, a, n) for rule, a, n in firing}
    taken = existing_keys(s, [k for k, (r, _, _) in keyed.items() if r.action == "alert"])
    alerts: list[dict[str, Any]] = []
    cases = 0
    assignees: dict[str, int | None] = {}
    for key, (rule, a, n) in keyed.items():
        if rule.action == "work_order":
            cases += _file_case(s, rt, rule, a, key, n)
            continue
        if key in taken:
            continue
        scope = a.device.scope
        if scope not in assignees:
            assignees[scope] = nearest_grant(s, Role.GRID_WORKER, scope)
        alerts.append({
            "scope": scope, "kind": rule.alert_kind, "severity": rule.severity,
            "status": "new", "source": "sensor", "source_ref": f"device:{a.device.code}",
            "subject_type": a.device.subject_type, "subject_id": a.device.subject_id,
            "dedup_key": key, "assignee_id": assignees[scope], "created_at": a.received_at,
            "detail": {"rule": rule.name, "device": a.device.code, "event": a.reading.event,
                       "value": a.reading.value, "count": n, "at": a.at.isoformat()},
            "resolution": "", "version": 1,
        })
    if alerts:
        ids = s.scalars(insert(Alert).returning(Alert.id, sort_by_parameter_order=True),
                        alerts).all()
        for alert_id, row in zip(ids, alerts, strict=True):  # tell each grid worker
            run_flow(s, notices.alert_raised(alert_id, row["kind"], row["severity"],
                                             row["assignee_id"], row["created_at"]))
    return len(alerts), cases


def _quarantined(s: Session, events: list[_Accepted]) -> set[tuple[int | None, datetime]]:
    ids = {a.device.subject_id for a in events if a.device.subject_type == "resident"}
    if not ids:
        return set()
    until = {row[0]: row[1] for row in s.execute(
        select(Resident.id, Resident.quarantine_until).where(Resident.id.in_(ids)))}
    return {(a.device.subject_id, a.at) for a in events
            if (u := until.get(a.device.subject_id or 0)) is not None and a.at < u}


def _counts(s: Session, rt: OpsRuntime, counted: list[tuple[Rule, _Accepted]]
            ) -> list[tuple[Rule, _Accepted, int]]:
    """For counting rules: how many such events the device sent in the window up to each."""
    groups: dict[tuple[int, str, str], list[tuple[Rule, _Accepted]]] = defaultdict(list)
    for rule, a in counted:
        groups[(a.device.id, a.reading.event, rule.name)].append((rule, a))
    out = []
    for (device_id, event, _), items in groups.items():
        start = min(rule.window_start(a.at, rt.zone) for rule, a in items)
        end = max(a.at for _, a in items)
        times = sorted(s.scalars(select(SensorEvent.at).where(
            SensorEvent.device_id == device_id, SensorEvent.kind == event,
            SensorEvent.at >= start, SensorEvent.at <= end)))
        for rule, a in items:
            since = rule.window_start(a.at, rt.zone)
            n = sum(1 for t in times if since <= t <= a.at)
            if n >= rule.count_at_least:
                out.append((rule, a, n))
    return out


def _file_case(s: Session, rt: OpsRuntime, rule: Rule, a: _Accepted, key: str, n: int) -> int:
    from rescity.community.cases.adapters import WorkOrder

    if s.scalar(select(WorkOrder.id).where(WorkOrder.dedup_key == key)) is not None:
        return 0
    data = CaseInput(
        service_code=rule.service_code, dedup_key=key, source_ref=f"device:{a.device.code}",
        description=f"{rule.name}: {n} × {a.reading.event} ({a.device.label or a.device.code})",
    )
    file_case_in(s, rt, data, scope=a.device.scope, channel=Channel.SENSOR, now=a.received_at,
                 actor=f"sensor:{a.device.code}")
    return 1


def _count_rejects(s: Session, rt: OpsRuntime, rejected: Counter[str], at: datetime) -> None:
    day = at.astimezone(rt.zone).date()
    rows = {r.reason: r for r in s.scalars(select(SensorReject).where(
        SensorReject.day == day, SensorReject.reason.in_(list(rejected))))}
    for reason, n in rejected.items():
        if reason in rows:
            rows[reason].count += n
        else:
            s.add(SensorReject(day=day, reason=reason, count=n))
    s.flush()
