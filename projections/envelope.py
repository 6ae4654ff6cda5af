"""The signed event envelope as projections read it: the public contract, not Python classes.

Projections take envelopes (the JSON that is stored, relayed to Kafka and exported), so the
same projection runs on the in-process notification log and on a Kafka consumer. Checking the
hash and signature is the runner's job; a projection trusts what it is given.

A runner hands a projection a batch at a time (``process_batch``): the envelopes of one stream
with their positions, and the position the batch reaches (past envelopes that were not
applied, e.g. quarantined ones). The projection folds the batch in memory and its view stores
the rows and that position in one transaction; ``process`` is a batch of one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

# An aggregate's events come together (a batch holds an entry's keying, second keying,
# verification and publication): its id is parsed once.
_uuid = lru_cache(maxsize=1 << 14)(UUID)


@dataclass(frozen=True)
class Envelope:
    aggregate_id: UUID
    aggregate_type: str  # "Register", "CivilRecord", "DigitisationPlan"
    version: int
    event_type: str  # "CivilRecord.EntryKeyed"
    occurred_at: dt.datetime
    actor_id: str
    actor_role: str
    district: str
    payload: dict[str, Any]
    hash: str
    key_id: str
    prev_hash: str | None = None  # None for version 1

    @cached_property
    def name(self) -> str:
        """The event's short name, e.g. "EntryKeyed"."""
        return self.event_type.rsplit(".", 1)[-1]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Envelope:
        actor = data["actor"]
        envelope = object.__new__(cls)  # as the frozen dataclass's __init__ sets it, faster
        envelope.__dict__.update(
            aggregate_id=_uuid(data["aggregate_id"]),
            aggregate_type=str(data["aggregate_type"]),
            version=int(data["version"]),
            event_type=str(data["event_type"]),
            occurred_at=dt.datetime.fromisoformat(data["occurred_at"]),
            actor_id=str(actor["id"]),
            actor_role=str(actor["role"]),
            district=str(data["district"]),
            payload=dict(data["payload"]),
            hash=str(data["hash"]),
            key_id=str(data["signature"]["key_id"]),
            prev_hash=data.get("prev_hash"),
        )
        return envelope


Positioned = tuple[Envelope, int]  # an envelope and its position in its stream


class BatchProjection(Protocol):
    """A projection that folds a batch of envelopes into its view at once."""

    def process(self, envelope: Envelope, position: int) -> None: ...

    def process_batch(self, items: Sequence[Positioned], position: int) -> None:
        """Apply ``items`` (in stream order) and store ``position`` (>= each item's), in one
        transaction; items at or before the view's position are ignored."""
        ...


class PositionedView(Protocol):
    def position(self) -> int: ...


ViewT = TypeVar("ViewT", bound=PositionedView)


class FreshBatchProjection(Generic[ViewT]):
    """A :class:`BatchProjection` over a view that keeps its position: ``fold`` is handed the
    batch's envelopes after that position (a batch that does not pass it is skipped)."""

    def __init__(self, view: ViewT) -> None:
        self.view = view

    def process(self, envelope: Envelope, position: int) -> None:
        self.process_batch([(envelope, position)], position)

    def process_batch(self, items: Sequence[Positioned], position: int) -> None:
        start = self.view.position()
        if position > start:
            self.fold([envelope for envelope, at in items if at > start], position)

    def fold(self, fresh: list[Envelope], position: int) -> None:
        """Apply ``fresh`` and store ``position`` with them, in one transaction."""
        raise NotImplementedError
