"""What the portal records projection hands its view, and the view's port (see
projections/portal_records.py for how records are derived and ranked)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, Self
from uuid import UUID

from domain.person_name import accent_key, fold
from projections.envelope import Envelope
from projections.rows import EntryOfBook

# ----- what the projection hands the view ---------------------------------------------------


@dataclass(frozen=True)
class PortalRegister:
    """The book a record comes from (its reference as printed: quyển số, commune, kind, years)."""

    id: UUID
    district: str
    commune_code: str
    kind: str
    book_number: str
    year_from: int
    year_to: int
    version: int  # the book's last event applied


@dataclass(frozen=True)
class PageScan:
    """The current scan of a page of a book (a rescan replaces it)."""

    register_id: UUID
    page_number: int
    object_key: str
    sha256: str
    media_type: str
    size: int


# A book's fields as its RegisterCatalogued event names them (the rest: the aggregate's).
REGISTER_CATALOGUED = tuple(
    f.name for f in fields(PortalRegister) if f.name not in ("id", "district", "version")
)
# A scan's own fields, as its PageScanned or PageRescanned event names them and a record keeps
# them (the book's id is the aggregate's, the record's).
SCAN_OWN = tuple(f.name for f in fields(PageScan) if f.name != "register_id")


@dataclass(frozen=True)
class Provenance:
    """One event of an entry, as the portal shows it: who did what, when, sealed how (the
    record history's item, kept with the record so that an answer needs no other view)."""

    version: int
    event_type: str  # as in the envelope: "CivilRecord.EntryKeyed"
    actor_id: str
    actor_role: str
    occurred_at: dt.datetime
    hash: str
    key_id: str

    @classmethod
    def of(cls, envelope: Envelope, **more: Any) -> Self:
        """The envelope's provenance (``more``: a subclass's own fields, e.g. the entry's id)."""
        stamp = {name: getattr(envelope, name) for name in _PROVENANCE_FIELDS}  # named alike
        return cls(**stamp, **more)


_PROVENANCE_FIELDS = tuple(f.name for f in fields(Provenance))


@dataclass(frozen=True)
class WorkingEntry(EntryOfBook):
    """An entry's fields as they evolve, published or not (private to the projection).

    ``fields_before_correction`` is what a rejected correction restores (None: no correction
    pending); ``version`` is the entry's last event applied.
    """

    pages: tuple[int, ...]
    fields: dict[str, Any]
    fields_before_correction: dict[str, Any] | None
    version: int
    publication_count: int = 0
    provenance: tuple[Provenance, ...] = ()  # every event applied, in version order


@dataclass(frozen=True)
class SearchName:
    """One searchable name of a record."""

    folded: str
    accent: str
    is_subject: bool


@dataclass(frozen=True)
class PortalRecord:
    """A published entry as the portal sees it.

    ``fields`` are the published fields the portal may see; ``subject_*``, ``sex`` and
    ``birth_*`` describe the record's main person; ``other_names`` are the other persons named
    (parents, spouse) as written; ``personal_ids`` every personal ID the record holds.
    ``published_at`` is when the current version was published, ``publication_count`` how
    many times the entry has been published (more than 1 after a correction).
    """

    id: UUID
    register_id: UUID
    district: str
    commune_code: str
    kind: str
    book_number: str | None
    year_from: int | None
    year_to: int | None
    entry_number: int
    fields: dict[str, Any]
    subject_name: str | None
    search_key: str | None
    accent_key: str | None
    other_names: tuple[str, ...]
    personal_ids: tuple[str, ...]
    subject_personal_id: str | None
    birth_year: int | None
    birth_month: int | None
    birth_day: int | None
    birth_date_lunar: bool
    sex: str | None
    pages: tuple[int, ...]
    scans: tuple[PageScan, ...]
    published_at: dt.datetime
    published_version: int
    publication_count: int
    provenance: tuple[Provenance, ...] = ()  # the entry's events up to the published version

    @property
    def scan_keys(self) -> tuple[str, ...]:
        """Object keys of the current scans of the entry's pages, in page order."""
        return tuple(s.object_key for s in self.scans)

    @property
    def search_names(self) -> tuple[SearchName, ...]:
        """The subject's name (first) and the other persons' names, as search keys."""
        names: list[SearchName] = []
        if self.subject_name is not None:
            names.append(SearchName(fold(self.subject_name), accent_key(self.subject_name), True))
        names.extend(SearchName(fold(n), accent_key(n), False) for n in self.other_names)
        return tuple(names)


PageKey = tuple[UUID, int]  # (register id, page number)


@dataclass
class PortalBatch:
    """What a batch changes: each book, page scan, entry and record as it ends the batch."""

    registers: dict[UUID, PortalRegister] = field(default_factory=dict)
    scans: dict[PageKey, PageScan] = field(default_factory=dict)
    working: dict[UUID, WorkingEntry] = field(default_factory=dict)
    records: dict[UUID, PortalRecord] = field(default_factory=dict)
    new_records: set[UUID] = field(default_factory=set)  # published for the first time: no rows yet


# ----- the port -----------------------------------------------------------------------------


class PortalReader(Protocol):
    """What the portal asks; every answer holds published records only."""

    def get_record(self, entry_id: UUID) -> PortalRecord | None: ...

    def find_by_personal_id(self, personal_id: str) -> list[PortalRecord]: ...

    def search_by_name(self, query: str, limit: int = 20) -> list[PortalRecord]: ...

    def get_by_register_and_number(
        self, register_id: UUID, entry_number: int
    ) -> PortalRecord | None: ...


class PortalView(PortalReader, Protocol):
    """Where the projection keeps its working state and the portal records.

    ``save_batch`` stores a batch and the position in one transaction, and ignores a position
    at or before the one it has; ``save`` (the port's own, for every view that subclasses it)
    is ``save_batch`` of a batch of what it is given.
    """

    def position(self) -> int: ...

    def get_register(self, register_id: UUID) -> PortalRegister | None: ...

    def get_working(self, entry_id: UUID) -> WorkingEntry | None: ...

    def page_scans(self, register_id: UUID, pages: Sequence[int]) -> list[PageScan]: ...

    def published_on_page(self, register_id: UUID, page_number: int) -> list[PortalRecord]: ...

    def get_registers(self, register_ids: Collection[UUID]) -> dict[UUID, PortalRegister]: ...

    def get_workings(self, entry_ids: Collection[UUID]) -> dict[UUID, WorkingEntry]: ...

    def get_scans(self, pages: Collection[PageKey]) -> dict[PageKey, PageScan]: ...

    def published_on_pages(self, pages: Collection[PageKey]) -> list[PortalRecord]:
        """Each published record holding one of ``pages``, once."""
        ...

    def save_batch(self, position: int, batch: PortalBatch) -> None: ...

    def save(
        self,
        position: int,
        *,
        register: PortalRegister | None = None,
        scan: PageScan | None = None,
        working: WorkingEntry | None = None,
        records: Sequence[PortalRecord] = (),
    ) -> None:
        """Store these (a one-off batch: a test's, a bench's) with ``position``."""
        batch = PortalBatch(records={r.id: r for r in records})
        if register is not None:
            batch.registers[register.id] = register
        if scan is not None:
            batch.scans[(scan.register_id, scan.page_number)] = scan
        if working is not None:
            batch.working[working.id] = working
        self.save_batch(position, batch)
