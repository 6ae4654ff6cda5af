"""KafkaProjectionRunner: feed projections from hotich.events.v1 as a consumer group.

Each view keeps its position per partition (``view.for_stream("<topic>:<partition>")``), in the
same transaction as its rows, so redelivery after a crash or a rebalance changes nothing; a
duplicate the relay re-sent under a new offset is dropped by the projections' per-aggregate
version guards. Every envelope's hash and signature are checked first, then its place in its
aggregate's chain (a ledger of the hashes accepted); one that fails goes to
``<topic>.quarantine`` with the reason and is not applied. Kafka's committed offsets only show
progress and lag; the views' positions are the truth, and partitions are sought to them on
assignment.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from infra.signing.keyring import PublicKeySet
from infra.store.envelope import EnvelopeError
from infra.store.seal_checks import Checked, SealCheckWorkers, sealed_json
from projections.envelope import Envelope

log = logging.getLogger(__name__)

# kafka-python's fetch defaults starve a consumer of many partitions: a fetch that names only
# partitions with nothing new waits up to fetch_max_wait_ms (500 ms) at the broker, and no other
# fetch goes to that broker meanwhile, so partitions whose buffers ran dry wait with it (a fresh
# group read 20,000 relayed events at ~2,100 ev/s with the defaults, ~32,000 with these).
FETCH_SETTINGS: dict[str, int] = {
    "fetch_max_wait_ms": 100,
    "max_partition_fetch_bytes": 4 * 1024 * 1024,  # ~5,000 envelopes a partition a fetch
}
MAX_POLL_RECORDS = 1000  # envelopes a poll: one transaction per view for all of them
CHECK_CHUNK = 100  # envelopes a checking worker hands back at a time


def kafka_consumer(bootstrap: str, group: str, **settings: Any) -> Any:
    """A KafkaConsumer for a KafkaProjectionRunner: offsets committed by the runner, new groups
    start at the beginning, FETCH_SETTINGS unless ``settings`` say otherwise."""
    from kafka import KafkaConsumer

    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **{**FETCH_SETTINGS, **settings},
    )


class ChainLedger(Protocol):
    def accept(self, envelope: Envelope) -> None: ...


class StreamView(Protocol):
    def for_stream(self, stream: str) -> Any: ...


class Projection(Protocol):
    def process(self, envelope: Envelope, position: int) -> None: ...


@dataclass
class Target:
    """A view and how to build its projection on one stream of it."""

    view: StreamView
    projection: Callable[[Any], Projection]


@dataclass
class RunnerStats:
    """What the runner has done since it started (its metrics: `hotich project --metrics-port`)."""

    applied: int = 0
    quarantined: int = 0
    quarantine_reasons: list[str] = field(default_factory=list)
    applied_by_partition: dict[int, int] = field(default_factory=dict)
    quarantined_by_partition: dict[int, int] = field(default_factory=dict)
    last_poll: float | None = None  # time.time() of the last poll that returned


class KafkaProjectionRunner:
    def __init__(
        self,
        consumer: Any,  # kafka.KafkaConsumer, subscribed by ``subscribe``
        producer: Any | None,  # kafka.KafkaProducer for the quarantine topic (None: log only)
        topic: str,
        targets: Sequence[Target],
        keys: PublicKeySet,
        chain: ChainLedger | None = None,
        *,
        check_workers: int = 0,
    ) -> None:
        """``check_workers``: worker processes that check the seals of a poll's envelopes, a
        chunk at a time, while this thread applies the chunks already checked (0: this thread
        checks them); :meth:`close` stops them."""
        self.consumer = consumer
        self.producer = producer
        self.topic = topic
        self.quarantine_topic = f"{topic}.quarantine"
        self.targets = list(targets)
        self.keys = keys
        self.chain = chain
        self.stats = RunnerStats()
        self._workers = SealCheckWorkers(check_workers, keys) if check_workers > 0 else None
        self._streams: dict[int, list[tuple[Any, Projection]]] = {}
        self._generations = self._live_generations()
        self._stop = threading.Event()
        self._handed: list[int] = []  # partitions of the messages applied in the open batch

    # ----- partitions -----------------------------------------------------------------------
    def _for_partition(self, partition: int) -> list[tuple[Any, Projection]]:
        if partition not in self._streams:
            stream = f"{self.topic}:{partition}"
            views = [t.view.for_stream(stream) for t in self.targets]
            self._streams[partition] = [
                (view, t.projection(view)) for view, t in zip(views, self.targets, strict=True)
            ]
        return self._streams[partition]

    def _live_generations(self) -> tuple[object, ...]:
        """Which copy of each view is live (a rebuild may switch it: infra/read_store/slots.py)."""
        return tuple(getattr(t.view, "generation", None) for t in self.targets)

    def _seek_to_views(self) -> None:
        for tp in self.consumer.assignment():
            self.consumer.seek(tp, self.next_offset(tp.partition))

    def next_offset(self, partition: int) -> int:
        """Where to resume: the lowest position any view has on this partition."""
        return int(min(view.position() for view, _ in self._for_partition(partition)))

    def subscribe(self) -> None:
        from kafka import ConsumerRebalanceListener

        runner = self

        class Seek(ConsumerRebalanceListener):  # type: ignore[misc]
            def on_partitions_revoked(self, revoked: Any) -> None:
                pass

            def on_partitions_assigned(self, assigned: Any) -> None:
                for tp in assigned:
                    runner.consumer.seek(tp, runner.next_offset(tp.partition))

        self.consumer.subscribe([self.topic], listener=Seek())

    # ----- messages -------------------------------------------------------------------------
    def _checked(self, value: bytes, checked: Checked | None) -> Envelope:
        if checked is None:
            envelope = sealed_json(value, self.keys)
        elif isinstance(checked, str):
            raise EnvelopeError(checked)  # the seal failed in a worker
        else:
            envelope = checked
        if self.chain is not None:
            self.chain.accept(envelope)
        return envelope

    def handle(
        self,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes,
        checked: Checked | None = None,
    ) -> None:
        """Check the message (``checked``: its seal's outcome, if a worker checked it already),
        then apply it or quarantine it."""
        try:
            envelope = self._checked(value, checked)
        except (EnvelopeError, ValueError, KeyError, TypeError) as e:
            reason = str(e) or type(e).__name__
            log.error("quarantined %s:%s@%s: %s", self.topic, partition, offset, reason)
            self.stats.quarantined += 1
            self.stats.quarantine_reasons.append(reason)
            by_partition = self.stats.quarantined_by_partition
            by_partition[partition] = by_partition.get(partition, 0) + 1
            if self.producer is None:
                return
            self.producer.send(
                self.quarantine_topic,
                value=value,
                key=key,
                headers=[
                    ("reason", reason.encode()),
                    ("source", f"{self.topic}:{partition}@{offset}".encode()),
                ],
            )
            return
        for _, projection in self._for_partition(partition):
            projection.process(envelope, offset + 1)
        self._handed.append(partition)

    def _count_committed(self) -> None:
        """The poll's batch committed: what it handed to the projections is applied."""
        applied = self.stats.applied_by_partition
        for partition in self._handed:
            applied[partition] = applied.get(partition, 0) + 1
        self.stats.applied += len(self._handed)
        self._handed.clear()

    def poll_once(self, timeout_ms: int = 500, max_records: int = MAX_POLL_RECORDS) -> int:
        batches = self.consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        self.stats.last_poll = time.time()
        messages = [(tp.partition, m) for tp, polled in batches.items() for m in polled]
        checking = (
            self._workers.submit_json([m.value for _, m in messages], CHECK_CHUNK)
            if self._workers is not None and messages
            else None
        )
        handled = 0
        switched = False
        self._handed.clear()
        try:
            with contextlib.ExitStack() as stack:  # one transaction per view for the whole poll
                for target in self.targets:
                    batch = getattr(target.view, "batch", None)
                    if batch is not None:
                        stack.enter_context(batch())
                # the ledger's batch is entered last so it commits first: a view never stores a
                # position past an envelope whose hash the ledger has not kept
                chain_batch = getattr(self.chain, "batch", None)
                if chain_batch is not None:
                    stack.enter_context(chain_batch())
                # the batches pin the live copies: if a rebuild switched one since the partitions
                # were sought, these messages follow the old copy's positions: fetch again
                generations = self._live_generations()
                if generations != self._generations:
                    self._generations, switched = generations, True
                elif checking is None:
                    for partition, message in messages:
                        self.handle(partition, message.offset, message.key, message.value)
                        handled += 1
                else:
                    for start, outcomes in zip(
                        range(0, len(messages), CHECK_CHUNK), checking, strict=True
                    ):
                        chunk = messages[start : start + CHECK_CHUNK]
                        for (partition, message), checked in zip(chunk, outcomes(), strict=True):
                            self.handle(
                                partition, message.offset, message.key, message.value, checked
                            )
                            handled += 1
        except BaseException:
            self._handed.clear()  # rolled back: applied once they are handled again
            self._seek_to_views()  # the views rolled the batch back: fetch again from them
            raise
        self._count_committed()
        if switched:
            log.info("a view switched to a rebuilt copy; resuming from its positions")
            self._seek_to_views()
        if handled:
            if self.producer is not None:
                self.producer.flush()
            self.consumer.commit()  # for lag figures; the views' positions are the truth
        return handled

    def run_until_idle(
        self, idle_polls: int = 3, timeout_ms: int = 500, *, join_timeout: float = 60.0
    ) -> int:
        """Consume until ``idle_polls`` polls in a row bring nothing (for tests and rebuilds).
        Polls before the group gave this consumer its partitions do not count as idle (after a
        crash, the group waits for the lost member's session to expire); TimeoutError if none
        came within ``join_timeout`` seconds."""
        total = idle = 0
        deadline = time.monotonic() + join_timeout
        while idle < idle_polls:
            handled = self.poll_once(timeout_ms)
            total += handled
            if handled:
                idle = 0
            elif self.consumer.assignment():
                idle += 1
            elif time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.topic}: no partitions assigned within {join_timeout:.0f} s"
                )
        return total

    def run(self, *, retry_after: float = 1.0) -> None:
        """Poll until stopped. An error (the broker may be down or restarting) is logged and
        polling goes on: a failed batch was rolled back and sought back to the views."""
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as e:
                log.warning("projection runner: %s; retrying from the views' positions", e)
                self._stop.wait(retry_after)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        """Stop the checking workers, if any (the consumer and producer are the caller's)."""
        if self._workers is not None:
            self._workers.close()
