"""Wiring of the MQTT consumer to the ingest service: what ``rescity sensors run`` runs."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import sessionmaker

from rescity.community.cases.runtime import OpsRuntime
from rescity.community.sensors.domain import SensorRules
from rescity.community.sensors.mqtt import Delivery, MqttConsumer
from rescity.community.sensors.services import Incoming, ingest
from rescity.core.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class Totals:
    """Running totals of what the consumer did, for logs and for tests."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.alerts = 0
        self.cases = 0

    @property
    def accepted(self) -> int:
        return self.outcomes["accepted"]


def make_handler(session_factory: sessionmaker[Any], rt: OpsRuntime, rules: SensorRules,
                 totals: Totals) -> Callable[[Sequence[Delivery]], None]:
    def handle(batch: Sequence[Delivery]) -> None:
        now = rt.now()
        incoming = [Incoming(d.payload, now, d.device) for d in batch]
        with UnitOfWork(session_factory) as uow:
            result = ingest(uow, rt, rules, incoming)
        totals.outcomes.update(result.outcomes)
        totals.alerts += result.alerts
        totals.cases += result.cases
        rejected = result.rejected
        if rejected:
            log.info("sensor batch: %d accepted, rejected %s", result.accepted, dict(rejected))

    return handle


def build_consumer(session_factory: sessionmaker[Any], rt: OpsRuntime, rules: SensorRules, *,
                   host: str, port: int, client_id: str = "rescity-sensors",
                   batch_size: int = 500) -> tuple[MqttConsumer, Totals]:
    totals = Totals()
    consumer = MqttConsumer(
        host=host, port=port, client_id=client_id, batch_size=batch_size,
        handle=make_handler(session_factory, rt, rules, totals),
    )
    return consumer, totals
