"""The Kafka runner counts an event as applied once the batch holding it has committed: a
batch the views rolled back is applied again from their positions, and counted then."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from kafka import TopicPartition

from infra.messaging.consumer import KafkaProjectionRunner, Target
from infra.store.envelope import EnvelopeError


@dataclass(frozen=True)
class Message:
    offset: int
    key: bytes
    value: bytes


class CommitFailedError(Exception):
    """The view's transaction could not commit (e.g. its database went away)."""


@dataclass
class FakeView:
    """Rows and positions kept in memory; its batch fails to commit ``failures`` times."""

    failures: int = 1
    committed: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)

    @contextmanager
    def batch(self) -> Iterator[None]:
        self.pending = []
        yield
        if self.failures:
            self.failures -= 1
            self.pending = []
            raise CommitFailedError("disk I/O error")
        self.committed += self.pending

    def for_stream(self, stream: str) -> FakeView:
        return self

    def position(self) -> int:
        return max(self.committed, default=0)


class Recording:
    def __init__(self, view: FakeView) -> None:
        self.view = view

    def process(self, envelope: Any, position: int) -> None:
        self.view.pending.append(position)


class FakeConsumer:
    """One partition holding ``count`` messages, fetched from where the runner seeks."""

    def __init__(self, count: int) -> None:
        self.part = TopicPartition("t", 0)
        self.messages = [Message(i, b"026", b"{}") for i in range(count)]
        self.next = 0

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Message]]:
        batch = self.messages[self.next : self.next + max_records]
        self.next += len(batch)
        return {self.part: batch} if batch else {}

    def assignment(self) -> set[TopicPartition]:
        return {self.part}

    def seek(self, part: TopicPartition, offset: int) -> None:
        self.next = offset

    def commit(self) -> None:
        pass


class Unchecked(KafkaProjectionRunner):
    def _checked(self, value: bytes, checked: Any) -> Any:  # seals are not this test's
        return object()


def test_a_batch_rolled_back_is_counted_when_it_is_applied_again() -> None:
    view = FakeView(failures=1)
    consumer = FakeConsumer(5)
    runner = Unchecked(consumer, None, "t", [Target(view, Recording)], keys=cast(Any, None))
    with pytest.raises(CommitFailedError):
        runner.poll_once()
    assert (runner.stats.applied, runner.stats.applied_by_partition) == (0, {})
    assert consumer.next == 0  # sought back to the view's position
    assert runner.poll_once() == 5
    assert (runner.stats.applied, runner.stats.applied_by_partition) == (5, {0: 5})
    assert view.committed == [1, 2, 3, 4, 5]


class BatchRecording(Recording):
    """A projection folding a batch: its view stores the position the batch reaches."""

    def process_batch(self, items: list[tuple[Any, int]], position: int) -> None:
        self.view.pending += [at for _, at in items] + [position]


class RefusingLast(KafkaProjectionRunner):
    """Seals are not this test's: every message checks but the partition's last one."""

    def _checked(self, value: bytes, checked: Any) -> Any:
        if value == b"bad":
            raise EnvelopeError("hash does not match the content (the event was changed)")
        return object()


def test_a_quarantined_message_is_quarantined_once_even_after_a_restart() -> None:
    view = FakeView(failures=0)
    consumer = FakeConsumer(4)
    consumer.messages[-1] = Message(3, b"026", b"bad")  # the poll's last message fails
    sent: list[tuple[str, bytes]] = []

    class Producer:
        def send(self, topic: str, **message: Any) -> None:
            sent.append((topic, message["value"]))

        def flush(self) -> None:
            pass

    first = RefusingLast(
        consumer, Producer(), "t", [Target(view, BatchRecording)], keys=cast(Any, None)
    )
    assert first.poll_once() == 4
    assert (first.stats.applied, first.stats.quarantined) == (3, 1)
    assert view.position() == 4  # the views' position passes the quarantined message
    assert sent == [("t.quarantine", b"bad")]

    # restarted: sought to the views' position, nothing is read or quarantined again
    again = RefusingLast(
        consumer, Producer(), "t", [Target(view, BatchRecording)], keys=cast(Any, None)
    )
    consumer.seek(consumer.part, again.next_offset(0))
    assert again.poll_once() == 0
    assert again.stats.quarantined == 0
    assert sent == [("t.quarantine", b"bad")]
