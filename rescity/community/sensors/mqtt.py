"""MQTT consumer for sensor events (paho-mqtt 2.x, MQTT 5) that loses no QoS 1 message.

How nothing gets lost:

- a fixed client id, ``clean_start=False`` and a session expiry: the broker keeps the
  subscription and queues messages while the consumer is away (and, with ``persistence
  true`` in mosquitto.conf, across a broker restart);
- a QoS 1 subscription with *manual* acknowledgement: a message is acknowledged only after
  the batch it came in was committed to the database. If the process dies first, the broker
  redelivers it; if the commit fails, the consumer drops the connection on purpose so that
  the broker redelivers the unacknowledged messages when it reconnects;
- acknowledgements carry the connection they belong to: a message received on an earlier
  connection is never acknowledged on a later one (the broker redelivers it instead, and the
  service recognises the copy by its sequence number).

Messages are handed to ``handle`` in batches (up to ``batch_size`` or what arrived within
``batch_wait_s``) so that one transaction covers many events.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger(__name__)

TOPIC_PREFIX = "rescity/sensors/"


@dataclass(frozen=True)
class Delivery:
    topic: str
    payload: bytes
    mid: int
    qos: int
    connection: int

    @property
    def device(self) -> str | None:
        """The device the topic names (``rescity/sensors/<device>``), if any."""
        if self.topic.startswith(TOPIC_PREFIX):
            rest = self.topic[len(TOPIC_PREFIX):]
            return rest.split("/", 1)[0] or None
        return None


@dataclass
class ConsumerStats:
    received: int = 0
    handled: int = 0
    acked: int = 0
    failed_batches: int = 0
    connections: int = 0


class MqttConsumer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        client_id: str,
        handle: Callable[[Sequence[Delivery]], None],
        topic: str = TOPIC_PREFIX + "#",
        batch_size: int = 500,
        batch_wait_s: float = 0.02,
        session_expiry_s: int = 7 * 24 * 3600,
        receive_maximum: int = 4000,
        retry_delay_s: float = 1.0,
    ) -> None:
        self.host, self.port, self.topic = host, port, topic
        self.handle = handle
        self.batch_size, self.batch_wait_s = batch_size, batch_wait_s
        self.retry_delay_s = retry_delay_s
        self.stats = ConsumerStats()
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._connection = 0
        self._connected = threading.Event()
        self._props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        self._props.SessionExpiryInterval = session_expiry_s
        self._props.ReceiveMaximum = receive_maximum
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    # paho callbacks (network thread)
    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connection refused: %s", reason)
            return
        self._connection += 1
        self.stats.connections += 1
        client.subscribe(self.topic, qos=1)
        log.info("MQTT connected to %s:%d (connection %d)", self.host, self.port,
                 self._connection)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, codes: Any, _p: Any) -> None:
        if all(not c.is_failure for c in codes):
            self._connected.set()  # subscribed: from now on nothing published is missed
        else:
            log.error("MQTT subscription to %s refused: %s", self.topic, codes)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._connected.clear()
        log.warning("MQTT disconnected: %s; reconnecting", reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        self._queue.put(
            Delivery(msg.topic, bytes(msg.payload), msg.mid, msg.qos, self._connection)
        )

    # the consumer loop (caller's thread)
    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set; survives broker restarts and database errors."""
        self._connect_until_up(stop)
        self.client.loop_start()
        try:
            while not stop.is_set():
                batch = self._next_batch()
                if not batch:
                    continue
                try:
                    self.handle(batch)
                except Exception:
                    self.stats.failed_batches += 1
                    log.exception("handling %d sensor messages failed; will be redelivered",
                                  len(batch))
                    self._redeliver(stop)
                    continue
                self.stats.handled += len(batch)
                self._ack(batch)
        finally:
            self.client.disconnect()
            self.client.loop_stop()

    def _connect_until_up(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.client.connect(self.host, self.port, keepalive=30, clean_start=False,
                                    properties=self._props)
                return
            except OSError as exc:
                log.warning("MQTT broker %s:%d unreachable (%s); retrying", self.host,
                            self.port, exc)
                stop.wait(self.retry_delay_s)

    def _next_batch(self) -> list[Delivery]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_wait_s
        while len(batch) < self.batch_size:
            left = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=max(left, 0)) if left > 0
                             else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _ack(self, batch: Sequence[Delivery]) -> None:
        current = self._connection
        for d in batch:
            if d.qos > 0 and d.connection == current:
                self.client.ack(d.mid, d.qos)
                self.stats.acked += 1

    def _redeliver(self, stop: threading.Event) -> None:
        """Drop the connection so the broker redelivers what was not acknowledged."""
        self.client.disconnect()
        self.client.loop_stop()
        while not self._queue.empty():
            self._queue.get_nowait()
        stop.wait(self.retry_delay_s)
        self._connect_until_up(stop)
        self.client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        """Wait until connected and subscribed."""
        return self._connected.wait(timeout)
