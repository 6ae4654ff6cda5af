"""SignedEventStore: puts events as a hash chain per aggregate, signed, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    Notification,
    Recording,
    StoredEvent,
)

from infra.signing.pipeline import SigningPipeline
from infra.store.mapper import SignedEnvelopeMapper


class ChainBrokenError(RuntimeError):
    """The predecessor of a new event is not in the store."""


class SignedEventStore(EventStore[UUID]):
    """Chains each new event to its predecessor's hash before inserting the batch."""

    mapper: SignedEnvelopeMapper

    def __init__(
        self,
        mapper: SignedEnvelopeMapper,
        recorder: AggregateRecorder,
        signing: SigningPipeline | None = None,
    ) -> None:
        super().__init__(mapper=mapper, recorder=recorder)
        self.signing = signing

    def hash_at(self, aggregate_id: UUID, version: int) -> str | None:
        """The stored hash of an aggregate's event at ``version`` (None before version 1)."""
        if version < 1:
            return None
        cached = self.mapper.heads.hash_at(aggregate_id, version)
        if cached is not None:
            return cached
        found = self.recorder.select_events(aggregate_id, gt=version - 1, lte=version)
        if not found:
            raise ChainBrokenError(f"{aggregate_id} has no stored version {version} to chain to")
        digest = str(self.mapper.open_envelope(found[0])["hash"])
        self.mapper.heads.remember(aggregate_id, version, digest)
        return digest

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        if self.signing is None:
            raise RuntimeError("this event store has no signer: it can read but not write events")
        batch_heads: dict[UUID, tuple[int, str]] = {}
        hashed: list[tuple[bytes, str]] = []
        signing = self.signing.batch()
        for event in domain_events:
            aggregate_id, version = event.originator_id, event.originator_version
            head = batch_heads.get(aggregate_id)
            prev = (
                head[1]
                if head and head[0] == version - 1
                else self.hash_at(aggregate_id, version - 1)
            )
            canonical, digest = self.mapper.hash_event(event, prev)
            batch_heads[aggregate_id] = (version, digest)
            hashed.append((canonical, digest))
            signing.add(bytes.fromhex(digest))
        stored_events: list[StoredEvent] = [
            self.mapper.stored_event(event, canonical, digest, signature)
            for event, (canonical, digest), signature in zip(
                domain_events, hashed, signing.signatures(), strict=True
            )
        ]
        notification_ids = self.recorder.insert_events(stored_events, **kwargs)
        for aggregate_id, (version, digest) in batch_heads.items():
            self.mapper.heads.remember(aggregate_id, version, digest)
        if not notification_ids:
            return []
        return [
            Recording(
                d,
                Notification(
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                    id=n_id,
                ),
            )
            for d, s, n_id in zip(domain_events, stored_events, notification_ids, strict=True)
        ]
