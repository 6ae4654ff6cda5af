"""What delivery needs from outside the use cases: the catalogue of books and entries (a read
model), each entry's signed events, and a signer for the manifest; bootstrap wires them."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from domain.numbering import BookRef


class BookIndex(Protocol):
    """The books of a commune and their entries, as the catalogue lists them."""

    def books_of(self, district: str, commune_code: str, kind: str) -> list[BookRef]:
        """The commune's books of that kind (the catalogue may lag the store by a moment)."""
        ...

    def entry_ids(self, register_id: UUID, district: str) -> list[UUID]:
        """The book's entries, by number."""
        ...


class EventHashes(Protocol):
    def __call__(self, aggregate_id: UUID, up_to: int) -> list[str]:
        """The hashes of the aggregate's signed events, versions 1 to ``up_to``."""
        ...


class ManifestSealer(Protocol):
    def seal(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with its ``hash`` and ``signature``, as an event's envelope is sealed."""
        ...
