"""Check each stored envelope's hash and signature before a projection applies it.

An envelope that fails is quarantined: logged, counted, and not applied (the runner moves on,
so one bad event does not stop the views). Chain continuity per aggregate is checked by
`hotich verify` and by the Kafka consumers (infra/messaging/consumer.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import MapperDeserialisationError, Notification

from infra.signing.keyring import PublicKeySet
from infra.store.envelope import EnvelopeError, check_seal
from infra.store.mapper import SignedEnvelopeMapper
from projections.envelope import Envelope

log = logging.getLogger(__name__)


def sealed_envelope(data: object, keys: PublicKeySet, *, raw: bytes | None = None) -> Envelope:
    """The envelope if its hash matches and a published key signed it, else EnvelopeError.
    ``raw``: the JSON ``data`` was parsed from, if at hand (see check_seal)."""
    if not isinstance(data, dict):
        raise EnvelopeError("an envelope must be a JSON object")
    check_seal(data, keys, raw=raw)
    return Envelope.from_json(data)


def sealed_json(raw: bytes, keys: PublicKeySet) -> Envelope:
    """The envelope in the JSON ``raw`` if its hash matches and a published key signed it."""
    return sealed_envelope(json.loads(raw), keys, raw=raw)


def envelope_json(mapper: SignedEnvelopeMapper, notification: Notification) -> bytes:
    """The envelope's JSON as sealed: the stored bytes decrypted (and decompressed)."""
    data: Any = notification.state
    try:
        if mapper.cipher:
            data = mapper.cipher.decrypt(data)
        if mapper.compressor:
            data = mapper.compressor.decompress(data)
    except Exception as e:  # the cipher raises several types for changed bytes
        msg = (
            f"cannot open the envelope of {notification.originator_id} "
            f"version {notification.originator_version}: {type(e).__name__}: {e}"
        )
        raise MapperDeserialisationError(msg) from e
    return bytes(data)


@dataclass
class SealedEnvelopes:
    """Decodes notifications into checked envelopes; counts what it quarantines."""

    mapper: SignedEnvelopeMapper
    keys: PublicKeySet
    quarantined: list[tuple[int, str]] = field(default_factory=list)

    def __call__(self, notification: Notification) -> Envelope | None:
        try:
            return sealed_json(envelope_json(self.mapper, notification), self.keys)
        except (MapperDeserialisationError, EnvelopeError, KeyError, TypeError, ValueError) as e:
            log.error("quarantined notification %s: %s", notification.id, e)
            self.quarantined.append((notification.id, str(e)))
            return None
