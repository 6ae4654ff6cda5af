"""SignedSealing: the EventSealing port as implemented by the signed envelope store."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    InfrastructureFactory,
    JSONTranscoder,
    Mapper,
)

from infra.signing.keyring import EventSigner
from infra.signing.pipeline import SigningPipeline
from infra.store.event_store import SignedEventStore
from infra.store.mapper import ChainHeads, SignedEnvelopeMapper


class SignedSealing:
    """Builds the signed mapper (with the configured cipher) and the chaining event store."""

    def __init__(self, signer: EventSigner | None) -> None:
        self.signer = signer
        self.heads = ChainHeads()
        self.signing = SigningPipeline(signer) if signer is not None else None

    def construct_mapper(self, factory: InfrastructureFactory) -> Mapper[UUID]:
        return SignedEnvelopeMapper(
            transcoder=JSONTranscoder(),
            cipher=factory.cipher(),
            signer=self.signer,
            heads=self.heads,
        )

    def construct_event_store(
        self, mapper: Mapper[UUID], recorder: AggregateRecorder
    ) -> EventStore[UUID]:
        assert isinstance(mapper, SignedEnvelopeMapper)
        return SignedEventStore(mapper, recorder, self.signing)
