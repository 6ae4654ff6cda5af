"""KafkaRelay: publish the stored notification log to Kafka, in order, nothing lost.

Follows the log from its last published position; each signed envelope goes, as the JSON that
was sealed and stored, to ``hotich.events.v1`` (key: district code, so a district's and an
aggregate's events keep their order; headers: notification id and event type) through
kafka-python's idempotent producer with ``acks=all``. The position is stored only after the
broker acknowledged the whole batch, so a crash between send and commit re-sends (duplicates on
the topic, which consumers drop by position) but never skips.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, MapperDeserialisationError

from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import envelope_json

TOPIC = "hotich.events.v1"
# How often an idle relay looks for new events: a SELECT on the log each time. At 1,000 ev/s
# offered, the Kafka-fed views' lag p99 went from ~970 ms at 0.2 s to 330-600 ms at 0.05 s.
POLL_INTERVAL = 0.05
# The relay's KafkaProducer settings (bootstrap/relay.py): idempotent, acknowledged by all
# in-sync replicas. relay_once flushes after each batch, which sends at once whatever lingers, so
# a long linger costs no latency: it lets a batch's records leave in a few large requests rather
# than in many small ones raced by the sender thread (8,100 -> 14,000 ev/s relayed, 117 -> 63 µs
# of CPU an event).
PRODUCER_SETTINGS: dict[str, Any] = {
    "enable_idempotence": True,
    "acks": "all",
    "linger_ms": 100,
    "batch_size": 128 * 1024,
}
log = logging.getLogger(__name__)


class PositionStore(Protocol):
    def get(self, name: str) -> int: ...

    def set(self, name: str, position: int) -> None: ...


class Producer(Protocol):
    """What the relay needs of kafka-python's KafkaProducer."""

    def send(
        self, topic: str, value: bytes, key: bytes, headers: list[tuple[str, bytes]]
    ) -> Any: ...

    def flush(self, timeout: float | None = None) -> None: ...


class KafkaRelay:
    def __init__(
        self,
        recorder: ApplicationRecorder,
        mapper: SignedEnvelopeMapper,
        producer: Producer,
        positions: PositionStore,
        *,
        topic: str = TOPIC,
        name: str = "relay",
        batch: int = 1000,
        ack_timeout: float = 30.0,
    ) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.producer = producer
        self.positions = positions
        self.topic = topic
        self.name = name
        self.batch = batch
        self.ack_timeout = ack_timeout
        self._stop = threading.Event()

    @property
    def position(self) -> int:
        return self.positions.get(self.name)

    def relay_once(self) -> int:
        """Publish the next batch after the stored position; returns how many were published."""
        start = self.position + 1
        notifications = self.recorder.select_notifications(start=start, limit=self.batch)
        if not notifications:
            return 0
        sent = []
        for notification in notifications:
            value = envelope_json(self.mapper, notification)  # as sealed: consumers hash it as is
            envelope = json.loads(value)
            if not isinstance(envelope, dict):
                raise MapperDeserialisationError(f"notification {notification.id}: not an object")
            headers = [
                ("notification_id", str(notification.id).encode()),
                ("event_type", str(envelope["event_type"]).encode()),
            ]
            sent.append(
                self.producer.send(
                    self.topic, value=value, key=str(envelope["district"]).encode(), headers=headers
                )
            )
        self.producer.flush(timeout=self.ack_timeout)
        for future in sent:
            future.get(timeout=self.ack_timeout)  # raises if the broker did not acknowledge
        self.positions.set(self.name, notifications[-1].id)
        return len(notifications)

    def run(
        self,
        *,
        interval: float = POLL_INTERVAL,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """Relay until stopped, looking for new events every ``interval`` seconds once the log
        is relayed; errors are logged and retried from the stored position (after ten
        intervals, at most 5 s)."""
        while not self._stop.is_set():
            try:
                if self.relay_once():
                    continue
            except Exception as e:  # the broker may be down: keep the position, retry later
                log.warning("relay: %s; retrying from position %s", e, self.position)
                if on_error is not None:
                    on_error(e)
                self._stop.wait(min(5.0, interval * 10))
                continue
            self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self.stop()
        close = getattr(self.producer, "close", None)
        if close is not None:
            close()
