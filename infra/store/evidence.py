"""An entry's signed envelopes as stored: what an evidence bundle carries."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from digitization.application import Digitisation
from infra.store.mapper import SignedEnvelopeMapper


def stored_envelopes(app: Digitisation, aggregate_id: UUID, up_to: int) -> list[dict[str, Any]]:
    """The aggregate's envelopes, versions 1 to ``up_to``, opened (decrypted) but unchanged."""
    mapper = app.mapper
    assert isinstance(mapper, SignedEnvelopeMapper)
    return [mapper.open_envelope(e) for e in app.recorder.select_events(aggregate_id, lte=up_to)]
