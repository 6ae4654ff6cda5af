"""Ports the use cases need; infra implements them, tests may fake them."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    InfrastructureFactory,
    Mapper,
)


class EventSealing(Protocol):
    """How events are sealed (hashed, chained, signed) on their way into the store."""

    def construct_mapper(self, factory: InfrastructureFactory) -> Mapper[UUID]: ...

    def construct_event_store(
        self, mapper: Mapper[UUID], recorder: AggregateRecorder
    ) -> EventStore[UUID]: ...
