"""Rows of the read models are frozen dataclasses; a fold makes many changed copies of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

T = TypeVar("T")


def evolve(row: T, **changes: Any) -> T:
    """``row`` with ``changes``, as ``dataclasses.replace`` makes it but without looking up the
    class's fields each time (a batch fold copies rows a few times an event). For frozen
    dataclasses without ``__slots__`` or ``__post_init__``: the rows of this package."""
    copy = object.__new__(type(row))
    state = copy.__dict__
    state.update(row.__dict__)
    state.update(changes)
    return copy


@dataclass(frozen=True)
class BookRow:
    """A catalogued book: where it belongs and what it is expected to hold (the read models
    each keep more of it, after these)."""

    id: UUID
    district: str
    commune_code: str
    kind: str
    page_count: int
    estimated_entries: int


@dataclass(frozen=True)
class EntryOfBook:
    """An entry: which it is, the book it stands in and its number there (the catalogue's row
    and the portal's working entry each keep more of it, after these)."""

    id: UUID
    register_id: UUID
    district: str
    commune_code: str
    kind: str
    entry_number: int
