"""Where the read models are in the event log, and on Kafka how far behind they are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class PartitionLag:
    """One partition of the events topic (Kafka offsets; a position is the next offset to read)."""

    partition: int
    end_offset: int  # the log end: offset of the next message the relay will write
    committed: int | None  # the consumer group's committed offset (display only); None: none yet
    views: dict[str, int]  # each view's stored position on this partition (the truth)

    @property
    def lag(self) -> int:
        """Messages the slowest view has not applied yet."""
        return self.end_offset - min(self.views.values(), default=0)


@dataclass(frozen=True)
class ConsumerLag:
    """Where the Kafka-fed read models are on each partition of the topic, and how far behind."""

    topic: str
    group: str
    reachable: bool  # False: the broker could not be asked; ``error`` says why
    partitions: tuple[PartitionLag, ...] = ()
    error: str | None = None  # why figures are missing (broker unreachable, no such topic)


class ConsumerLagReader(Protocol):
    """Reports the Kafka consumers' positions and lag (bounded in time; never raises for an
    unreachable broker, it says so in the report)."""

    def consumer_lag(self) -> ConsumerLag: ...


@dataclass(frozen=True)
class Positions:
    """Where things are in the event log (notification ids), and on Kafka when configured."""

    log_head: int
    relay: int | None  # None: no relay (embedded default)
    views: dict[str, int]
    quarantined: int
    applied: dict[str, int] = field(default_factory=dict)  # per view, by this process's runners
    kafka: ConsumerLag | None = None  # None: Kafka not configured
