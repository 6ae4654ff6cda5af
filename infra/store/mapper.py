"""SignedEnvelopeMapper: domain events to signed envelopes and back.

The envelope replaces eventsourcing's transcoded state: the stored ``state`` column holds the
envelope's JSON (encrypted at rest when a cipher is configured), and the ``topic`` column names
the event class, whose qualified name must equal the envelope's ``event_type``.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic, resolve_topic

from domain.actor import Actor
from infra.signing.keyring import EventSigner
from infra.store.envelope import SPEC, append_seal, hash_body

_EVENT_META = ("originator_id", "originator_version", "timestamp", "actor", "district")


class _OfAnEvent(Protocol):
    @property
    def originator_id(self) -> Any: ...

    @property
    def originator_version(self) -> int: ...


def unopenable(stored_event: _OfAnEvent, error: Exception) -> MapperDeserialisationError:
    """What a stored event whose envelope cannot be decrypted, decompressed or parsed raises."""
    return MapperDeserialisationError(
        f"cannot open the envelope of {stored_event.originator_id} "
        f"version {stored_event.originator_version}: {type(error).__name__}: {error}"
    )


class ChainHeads:
    """Recently seen (version, hash) of aggregates' newest events; bounded and thread-safe."""

    def __init__(self, maxsize: int = 100_000) -> None:
        self._maxsize = maxsize
        self._heads: OrderedDict[UUID, tuple[int, str]] = OrderedDict()
        self._lock = threading.Lock()

    def hash_at(self, aggregate_id: UUID, version: int) -> str | None:
        with self._lock:
            head = self._heads.get(aggregate_id)
        if head is not None and head[0] == version:
            return head[1]
        return None

    def remember(self, aggregate_id: UUID, version: int, digest: str) -> None:
        with self._lock:
            head = self._heads.get(aggregate_id)
            if head is None or head[0] <= version:
                self._heads[aggregate_id] = (version, digest)
                self._heads.move_to_end(aggregate_id)
                if len(self._heads) > self._maxsize:
                    self._heads.popitem(last=False)


def aggregate_type_of(event_class: type[Any]) -> str:
    return event_class.__qualname__.split(".")[0]


class SignedEnvelopeMapper(Mapper[UUID]):
    """Seals events into signed envelopes; opens envelopes back into domain events."""

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
        *,
        signer: EventSigner | None = None,
        heads: ChainHeads | None = None,
    ) -> None:
        super().__init__(transcoder=transcoder, compressor=compressor, cipher=cipher)
        self.signer = signer
        self.heads = heads if heads is not None else ChainHeads()

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        msg = "signed events need their predecessor's hash: save them through SignedEventStore"
        raise NotImplementedError(msg)

    def envelope_body(
        self, domain_event: DomainEventProtocol[UUID], prev_hash: str | None
    ) -> dict[str, Any]:
        state = vars(domain_event)
        payload = {k: v for k, v in state.items() if k not in _EVENT_META}
        if "originator_topic" in payload:
            topic = payload.pop("originator_topic")
            if topic != get_topic(type(domain_event)).rsplit(".", 1)[0]:
                raise ValueError(f"aggregate topic {topic} does not own event {type(domain_event)}")
        actor = cast(Actor, state["actor"])
        timestamp = cast(dt.datetime, state["timestamp"]).astimezone(dt.UTC)
        return {
            "spec": SPEC,
            "aggregate_id": str(state["originator_id"]),
            "aggregate_type": aggregate_type_of(type(domain_event)),
            "version": state["originator_version"],
            "event_type": type(domain_event).__qualname__,
            "occurred_at": timestamp.isoformat(),
            "actor": actor.to_json(),
            "district": state["district"],
            "payload": payload,
            "prev_hash": prev_hash,
        }

    def seal_event(
        self, domain_event: DomainEventProtocol[UUID], prev_hash: str | None
    ) -> tuple[StoredEvent, str]:
        """The stored form of an event, chained to ``prev_hash``, and the event's hash."""
        signer = self.require_signer()
        canonical, digest = self.hash_event(domain_event, prev_hash)
        signature = signer.sign(bytes.fromhex(digest))
        return self.stored_event(domain_event, canonical, digest, signature), digest

    def require_signer(self) -> EventSigner:
        if self.signer is None:
            raise RuntimeError("this mapper has no signer: it can read but not write events")
        return self.signer

    def hash_event(
        self, domain_event: DomainEventProtocol[UUID], prev_hash: str | None
    ) -> tuple[bytes, str]:
        """The canonical bytes of the event's envelope body, and its hash."""
        return hash_body(self.envelope_body(domain_event, prev_hash))

    def stored_event(
        self,
        domain_event: DomainEventProtocol[UUID],
        canonical: bytes,
        digest: str,
        signature: bytes,
    ) -> StoredEvent:
        """The stored form of an event whose body was hashed and whose hash was signed."""
        data = append_seal(canonical, digest, self.require_signer().key_id, signature)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=data,
        )

    def open_envelope(self, stored_event: StoredEvent) -> dict[str, Any]:
        """Decrypt and parse a stored event's envelope, without checking it."""
        data = stored_event.state
        try:
            if self.cipher:
                data = self.cipher.decrypt(data)
            if self.compressor:
                data = self.compressor.decompress(data)
            envelope = json.loads(data)
        except Exception as e:  # the cipher raises several types for changed bytes
            raise unopenable(stored_event, e) from e
        if not isinstance(envelope, dict):
            raise MapperDeserialisationError("an envelope must be a JSON object")
        return envelope

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        envelope = self.open_envelope(stored_event)
        cls = resolve_topic(stored_event.topic)
        originator_id = (
            stored_event.originator_id
            if isinstance(stored_event.originator_id, UUID)
            else UUID(stored_event.originator_id)
        )
        state: dict[str, Any] = dict(envelope["payload"])
        state["originator_id"] = originator_id
        state["originator_version"] = stored_event.originator_version
        state["timestamp"] = dt.datetime.fromisoformat(envelope["occurred_at"])
        state["actor"] = Actor.from_json(envelope["actor"])
        state["district"] = envelope["district"]
        if issubclass(cls, Aggregate.Created):
            state["originator_topic"] = stored_event.topic.rsplit(".", 1)[0]
        self.heads.remember(originator_id, stored_event.originator_version, envelope["hash"])
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return cast(DomainEventProtocol[UUID], domain_event)
