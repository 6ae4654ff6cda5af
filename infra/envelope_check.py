"""Check each stored envelope's hash and signature before a projection applies it.

An envelope that fails is quarantined: logged, counted, and not applied (the runner moves on,
so one bad event does not stop the views). Chain continuity per aggregate is checked by
`hotich verify`; the Kafka consumers of the relay will check it too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from eventsourcing.persistence import MapperDeserialisationError, Notification

from infra.signing.keyring import PublicKeySet
from infra.store.envelope import EnvelopeError, check_seal
from infra.store.mapper import SignedEnvelopeMapper
from projections.envelope import Envelope

log = logging.getLogger(__name__)


def sealed_envelope(data: object, keys: PublicKeySet) -> Envelope:
    """The envelope if its hash matches and a published key signed it, else EnvelopeError."""
    if not isinstance(data, dict):
        raise EnvelopeError("an envelope must be a JSON object")
    check_seal(data, keys)
    return Envelope.from_json(data)


@dataclass
class SealedEnvelopes:
    """Decodes notifications into checked envelopes; counts what it quarantines."""

    mapper: SignedEnvelopeMapper
    keys: PublicKeySet
    quarantined: list[tuple[int, str]] = field(default_factory=list)

    def __call__(self, notification: Notification) -> Envelope | None:
        try:
            return sealed_envelope(self.mapper.open_envelope(notification), self.keys)
        except (MapperDeserialisationError, EnvelopeError, KeyError, TypeError, ValueError) as e:
            log.error("quarantined notification %s: %s", notification.id, e)
            self.quarantined.append((notification.id, str(e)))
            return None
