"""KafkaProjectionRunner: feed projections from hotich.events.v1 as a consumer group.

Each view keeps its position per partition (``view.for_stream("<topic>:<partition>")``), in the
same transaction as its rows, so redelivery after a crash or a rebalance changes nothing; a
duplicate the relay re-sent under a new offset is dropped by the projections' per-aggregate
version guards. Every envelope is checked first: its content against its hash, then the hash
against a run of the log's leaves checked against a signed checkpoint (infra/messaging/leaves.py)
or, past the newest checkpoint, against its signature; then its place in its aggregate's chain
(a ledger of the hashes accepted). One that fails goes to ``<topic>.quarantine`` with the
reason and is not applied; the views' positions move past it in the same transaction as the
rest of the poll, so it is quarantined once (the quarantine producer is flushed before the
views commit: a crash in between sends it again, with the same ``source`` header). A poll is
folded per partition by each projection (``process_batch``) and written in one transaction per
view. Kafka's committed offsets only show progress and lag; the views' positions are the truth,
and partitions are sought to them on assignment.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from infra.messaging.leaves import KafkaLeafRuns
from infra.read_store.log_runner import apply_batch
from infra.signing.keyring import PublicKeySet
from infra.store.envelope import EnvelopeError
from infra.store.seal_checks import QUARANTINES_KEPT, Checked, SealCheckWorkers, checked_json
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
MAX_POLL_RECORDS = 2000  # envelopes a poll: one transaction per view for all of them
CHECK_CHUNK = 250  # envelopes a checking worker hands back at a time
CHECK_ERRORS = (EnvelopeError, ValueError, KeyError, TypeError)


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
    def accept_batch(self, envelopes: Sequence[Envelope]) -> Sequence[Exception | None]: ...


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
    """What the runner has done since it started (its metrics: `hotich project --metrics-port`):
    counts, and the latest quarantine reasons only (it runs for months)."""

    applied: int = 0
    quarantined: int = 0
    quarantine_reasons: list[str] = field(default_factory=list)  # the latest, oldest first
    applied_by_partition: dict[int, int] = field(default_factory=dict)
    quarantined_by_partition: dict[int, int] = field(default_factory=dict)
    last_poll: float | None = None  # time.time() of the last poll that returned


@dataclass(frozen=True)
class _Message:
    """A message handed to :meth:`KafkaProjectionRunner.handle` by its parts."""

    offset: int
    key: bytes | None
    value: bytes


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
        leaves: KafkaLeafRuns | None = None,
    ) -> None:
        """``check_workers``: worker processes that check the seals of a poll's envelopes, a
        chunk at a time, while this thread applies the chunks already checked (0: this thread
        checks them); ``leaves``: the log's runs of leaves (else every envelope's signature is
        checked); :meth:`close` stops the workers and the leaves' consumer."""
        self.consumer = consumer
        self.producer = producer
        self.topic = topic
        self.quarantine_topic = f"{topic}.quarantine"
        self.targets = list(targets)
        self.keys = keys
        self.chain = chain
        self.leaves = leaves
        self.stats = RunnerStats()
        self._workers = SealCheckWorkers(check_workers, keys) if check_workers > 0 else None
        self._streams: dict[int, list[tuple[Any, Projection]]] = {}
        self._generations = self._live_generations()
        self._stop = threading.Event()
        self._handed: list[int] = []  # partitions of the messages applied in the open batch
        self._checked_leaves: set[bytes] | frozenset[bytes] = frozenset()  # the poll's

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
        """The message's envelope (``checked``: its seal's outcome, if a worker checked it)."""
        if checked is None:
            return checked_json(value, self.keys, self._checked_leaves)
        if isinstance(checked, str):
            raise EnvelopeError(checked)  # the seal failed in a worker
        return checked

    def _quarantine(self, partition: int, message: Any, reason: str) -> None:
        log.error("quarantined %s:%s@%s: %s", self.topic, partition, message.offset, reason)
        stats = self.stats
        stats.quarantined += 1
        stats.quarantine_reasons.append(reason)
        if len(stats.quarantine_reasons) > QUARANTINES_KEPT:
            del stats.quarantine_reasons[:-QUARANTINES_KEPT]
        by_partition = stats.quarantined_by_partition
        by_partition[partition] = by_partition.get(partition, 0) + 1
        if self.producer is None:
            return
        source = f"{self.topic}:{partition}@{message.offset}".encode()
        self.producer.send(
            self.quarantine_topic,
            value=message.value,
            key=message.key,
            headers=[("reason", reason.encode()), ("source", source)],
        )

    def handle(
        self,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes,
        checked: Checked | None = None,
    ) -> None:
        """Check one message, then apply it or quarantine it (a batch of one)."""
        self.handle_batch([(partition, _Message(offset, key, value))], [checked])

    def handle_batch(
        self, messages: Sequence[tuple[int, Any]], checked: Sequence[Checked | None]
    ) -> None:
        """Check messages (``checked``: their seals' outcomes where a worker checked them),
        quarantine those that fail, and fold the rest into every view, a batch per partition
        whose position passes every message, applied or not."""
        opened: list[tuple[int, Any, Envelope]] = []
        for (partition, message), outcome in zip(messages, checked, strict=True):
            try:
                opened.append((partition, message, self._checked(message.value, outcome)))
            except CHECK_ERRORS as e:
                self._quarantine(partition, message, str(e) or type(e).__name__)
        if self.chain is not None and opened:
            refused = self.chain.accept_batch([envelope for _, _, envelope in opened])
            for (partition, message, _), error in zip(opened, refused, strict=True):
                if error is not None:
                    self._quarantine(partition, message, str(error) or type(error).__name__)
            opened = [o for o, error in zip(opened, refused, strict=True) if error is None]
        ends: dict[int, int] = {}
        for partition, message in messages:
            ends[partition] = max(ends.get(partition, 0), message.offset + 1)
        by_partition: dict[int, list[tuple[Envelope, int]]] = {p: [] for p in ends}
        for partition, message, envelope in opened:
            by_partition[partition].append((envelope, message.offset + 1))
        for partition, items in by_partition.items():
            for _, projection in self._for_partition(partition):
                apply_batch(projection, items, ends[partition])
            self._handed += [partition] * len(items)

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
        leaves: set[bytes] | frozenset[bytes] = frozenset()
        if self.leaves is not None and messages:
            leaves = self.leaves.covering([m for _, m in messages])
        self._checked_leaves = leaves
        checking = (
            self._workers.submit_json(
                [m.value for _, m in messages], CHECK_CHUNK, frozenset(leaves)
            )
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
                    self.handle_batch(messages, [None] * len(messages))
                    handled = len(messages)
                else:
                    for start, outcomes in zip(
                        range(0, len(messages), CHECK_CHUNK), checking, strict=True
                    ):
                        self.handle_batch(messages[start : start + CHECK_CHUNK], outcomes())
                        handled += len(messages[start : start + CHECK_CHUNK])
                if handled and self.producer is not None:
                    self.producer.flush()  # what was quarantined is sent before the views move
        except BaseException:
            self._handed.clear()  # rolled back: applied once they are handled again
            self._seek_to_views()  # the views rolled the batch back: fetch again from them
            raise
        finally:
            self._checked_leaves = frozenset()
        self._count_committed()
        if switched:
            log.info("a view switched to a rebuilt copy; resuming from its positions")
            self._seek_to_views()
        if handled:
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
        """Stop the checking workers and the leaves' consumer, if any (the consumer and
        producer are the caller's)."""
        if self._workers is not None:
            self._workers.close()
        if self.leaves is not None:
            self.leaves.close()
