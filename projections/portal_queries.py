"""What the portal's API asks of its read models: paged lookups by personal ID and by name.

Both lookups page by keyset: each record comes with its sort key, and the next page starts
after the last key seen (the API wraps it in an opaque cursor). The order is total and stable:

* by personal ID: records about the holder first, then by book and entry number;
* by name: the match's rank (see ``projections.portal_records``), the folded name that matched,
  the subject's folded name, book and entry number; the read model says where the next page
  starts (``NamePage``).

Filters and the caller's district scope are applied by the read model, so pages stay full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol
from uuid import UUID

from projections.portal_answers import PortalAnswer
from projections.portal_model import PortalRecord
from projections.record_history import HistoryItem

MAX_PAGE = 100


@dataclass(frozen=True)
class RecordFilter:
    """Optional conditions on a record's main person and place; ``districts``: the caller's
    scope (None: every district)."""

    birth_year: int | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    birth_lunar: bool | None = None  # given with a full or partial birth date
    sex: str | None = None  # "male" | "female"
    kind: str | None = None  # a RecordKind value
    district: str | None = None
    commune: str | None = None
    districts: frozenset[str] | None = None


class NameKey(NamedTuple):
    """Where a record sits in a name search's order."""

    rank: int
    matched: str  # the folded name of the record's that matched (its best match)
    name_key: str  # the subject's folded name ("" when the record has no subject name)
    register_id: str
    entry_number: int


class IdKey(NamedTuple):
    """Where a record sits in a personal-ID lookup's order."""

    is_subject: int  # 1: the record is about the holder of the ID
    register_id: str
    entry_number: int


class NameHit(NamedTuple):
    key: NameKey
    record: PortalRecord


class NamePage(NamedTuple):
    """A page of a name search, and where the next one starts (None: this is the last).

    A page may hold fewer than ``limit`` records and still have a next one: names that only
    hold the query inside them are read when asked for (they need every name read)."""

    hits: list[NameHit]
    next: NameKey | None


class IdHit(NamedTuple):
    key: IdKey
    record: PortalRecord


class IdAnswer(NamedTuple):
    key: IdKey
    answer: PortalAnswer


class NameAnswer(NamedTuple):
    key: NameKey
    answer: PortalAnswer


class AnswerPage(NamedTuple):
    """A page of a name search as answered (see ``NamePage``)."""

    hits: list[NameAnswer]
    next: NameKey | None


class PortalQueries(Protocol):
    """The portal records read model, as the API uses it (published records only)."""

    def get_record(self, entry_id: UUID) -> PortalRecord | None: ...

    def get_by_register_and_number(
        self, register_id: UUID, entry_number: int
    ) -> PortalRecord | None: ...

    def find_by_personal_id_page(
        self, personal_id: str, *, where: RecordFilter, after: IdKey | None, limit: int
    ) -> list[IdHit]: ...

    def search_by_name_page(
        self, query: str, *, where: RecordFilter, after: NameKey | None, limit: int
    ) -> NamePage: ...

    def get_answer(self, entry_id: UUID) -> PortalAnswer | None: ...

    def get_answer_by_register_and_number(
        self, register_id: UUID, entry_number: int
    ) -> PortalAnswer | None: ...

    def find_answers_by_personal_id_page(
        self, personal_id: str, *, where: RecordFilter, after: IdKey | None, limit: int
    ) -> list[IdAnswer]: ...

    def search_answers_page(
        self, query: str, *, where: RecordFilter, after: NameKey | None, limit: int
    ) -> AnswerPage: ...


class HistoriesReader(Protocol):
    """The record history read model: each entry's events in version order."""

    def histories(self, entry_ids: list[UUID]) -> dict[UUID, list[HistoryItem]]: ...
