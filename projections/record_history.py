"""Record history: every event of every entry, for provenance (who did what, when, sealed how).

Each item names the entry's version, the event type, the actor (id and role), when it occurred,
the event's hash and the id of the key that signed it, so anyone can fetch the envelope and
check it against the published keys. Items are returned in version order.

Like every projection it is pure: it takes a batch of envelopes with their positions and hands
the view (the port, :class:`HistoryView`) the batch's items to store with the position the
batch reaches, in one transaction; positions at or before the stored one are ignored, and an
item already stored for that entry and version is not stored twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from projections.envelope import Envelope, FreshBatchProjection
from projections.portal_model import Provenance


@dataclass(frozen=True)
class HistoryItem(Provenance):
    """One event of an entry: its provenance, as the portal keeps it too, and the entry."""

    entry_id: UUID

    @property
    def name(self) -> str:
        """The event's short name, e.g. "EntryKeyed"."""
        return self.event_type.rsplit(".", 1)[-1]


class HistoryReader(Protocol):
    def history(self, entry_id: UUID) -> list[HistoryItem]: ...


class HistoryView(HistoryReader, Protocol):
    """Stores items and the position together; ignores positions at or before its own."""

    def position(self) -> int: ...

    def save(self, position: int, item: HistoryItem | None) -> None: ...

    def save_many(self, position: int, items: Sequence[HistoryItem]) -> None: ...


class RecordHistoryProjection(FreshBatchProjection[HistoryView]):
    """Keeps the provenance of every entry (aggregate CivilRecord)."""

    def fold(self, fresh: list[Envelope], position: int) -> None:
        self.view.save_many(
            position,
            [
                HistoryItem.of(envelope, entry_id=envelope.aggregate_id)
                for envelope in fresh
                if envelope.aggregate_type == "CivilRecord"
            ],
        )
