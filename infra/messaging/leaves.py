"""The log's runs of leaves on Kafka: what lets a consumer check a poll with one signature.

The relay publishes, after each checkpoint (``hotich.checkpoints.v1``), the leaves that
checkpoint adds to the one before, on ``<events topic>.leaves`` (``hotich.events.v1.leaves``: one
partition; key: the log's origin; value: a run, infra/tlog/runs.py; headers: the checkpoint's
size, the run's first and last leaf, and the notification ids of its first and last events).
A run is checked alone: its leaves, with the subtree hashes beside them, give the root of its
signed checkpoint.

A consumer of one partition of ``hotich.events.v1`` sees some of the log's events only, so it
cannot recompute a root from its own events; it does not need to: it reads the runs covering
the notification ids of its poll (the events carry them as a header), checks each run once, and
takes an event whose leaf hash is among the checked runs' as the log's (its content hashing to
its stated hash, which the consumer checks anyway). An event no run covers yet (the live tail,
before its checkpoint is signed and relayed) is checked by its own signature, at once: waiting
for the next checkpoint would add up to a checkpoint interval to its lag.

Runs are published after the events they cover, so a run covering an event was published at or
after that event (one producer's clock): a consumer that needs older runs than it holds seeks
the leaves topic to the time of its poll's oldest event.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from infra.tlog.runs import LeafRun, RunChecker, RunError

log = logging.getLogger(__name__)


def leaves_topic(events_topic: str) -> str:
    """Where the runs of the log whose events go to ``events_topic`` are published."""
    return f"{events_topic}.leaves"


WINDOW_LEAVES = 200_000  # checked leaf hashes a consumer keeps at most (~20 MB)
END_CHECK = 1.0  # seconds between asking the broker where the leaves topic ends, when at its end


def run_headers(run: LeafRun) -> list[tuple[str, bytes]]:
    return [
        (name, str(value).encode())
        for name, value in (
            ("size", run.size),
            ("start", run.start),
            ("end", run.end),
            ("first_notification_id", run.first_notification_id),
            ("last_notification_id", run.last_notification_id),
        )
    ]


def _header(message: Any, name: str) -> int | None:
    for key, value in message.headers or ():
        if key == name:
            try:
                return int(value)
            except ValueError:
                return None
    return None


def leaves_consumer(bootstrap: str, **settings: Any) -> Any:
    """A consumer of the leaves topic's one partition, in no group (each reader reads it all)."""
    from kafka import KafkaConsumer

    return KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        **settings,
    )


class KafkaLeafRuns:
    """The checked runs covering a consumer's polls, read from the leaves topic as needed."""

    def __init__(
        self,
        consumer: Any,  # kafka.KafkaConsumer of the leaves topic (leaves_consumer)
        checker: RunChecker,
        topic: str,
        *,
        window: int = WINDOW_LEAVES,
    ) -> None:
        from kafka import TopicPartition

        self.consumer = consumer
        self.checker = checker
        self.window = window
        self._part = TopicPartition(topic, 0)
        self._runs: deque[tuple[int, int, frozenset[bytes]]] = deque()  # (first, last id, leaves)
        self.leaves: set[bytes] = set()
        self._end = 0
        self._end_checked = 0.0
        self._assigned = False
        self.rejected = 0  # runs that did not check (logged)

    def covering(self, messages: Sequence[Any]) -> set[bytes]:
        """The checked leaves covering these event messages, as far as the runs published so
        far reach: runs are read up to the newest event's notification id, and those before
        the oldest one's are let go."""
        ids = [i for m in messages if (i := _header(m, "notification_id")) is not None]
        if not ids:
            return self.leaves
        low, high = min(ids), max(ids)
        try:
            if not self._assigned or (self._runs and low < self._runs[0][0]):
                self._seek(min(m.timestamp for m in messages))
            self._read(low, high)
        except Exception as e:  # the broker may be away: the events' signatures are checked
            log.warning("leaves topic: %s; checking events by their signatures", e)
        while self._runs and self._runs[0][1] < low:
            self._drop()
        return self.leaves

    def _seek(self, timestamp: int) -> None:
        """Start again from the first run published at or after ``timestamp`` (ms)."""
        if not self._assigned:
            if not self.consumer.partitions_for_topic(self._part.topic):
                raise LookupError(f"no topic {self._part.topic}")
            self.consumer.assign([self._part])
            self._assigned = True
        while self._runs:
            self._drop()
        found = self.consumer.offsets_for_times({self._part: max(0, timestamp)}).get(self._part)
        if found is None:
            self.consumer.seek_to_end(self._part)
        else:
            self.consumer.seek(self._part, found.offset)

    def _at_end(self) -> bool:
        position = int(self.consumer.position(self._part))
        if position < self._end:
            return False
        now = time.monotonic()
        if now - self._end_checked < END_CHECK:
            return True
        self._end_checked = now
        self._end = int(self.consumer.end_offsets([self._part])[self._part])
        return position >= self._end

    def _read(self, low: int, high: int) -> None:
        covered = self._runs[-1][1] if self._runs else 0
        while covered < high and len(self.leaves) < self.window and not self._at_end():
            for message in self.consumer.poll(timeout_ms=500, max_records=8).get(self._part, []):
                last = _header(message, "last_notification_id") or 0
                if last < low:
                    continue  # covers only events before this poll's
                try:
                    run = LeafRun.from_json(message.value)
                    leaves = self.checker.leaves(run)
                except RunError as e:
                    self.rejected += 1
                    log.error("leaves topic offset %s: %s", message.offset, e)
                    continue
                self._runs.append((run.first_notification_id, run.last_notification_id, leaves))
                self.leaves |= leaves
                covered = max(covered, run.last_notification_id)

    def _drop(self) -> None:
        _, _, leaves = self._runs.popleft()
        self.leaves -= leaves

    def close(self) -> None:
        self.consumer.close()
