"""DistrictProgress: how far each district's books and entries are, against the plan.

Managers steer by these figures: books catalogued, pages scanned against pages expected,
entries keyed, second-keyed, in reconciliation, verified and published, each district's
target date and acceptance (nghiệm thu). This module turns events into the rows of the view;
:mod:`projections.progress_assessment` judges the figures the view counts against the plan.

The projection is pure: it takes a batch of signed envelopes with their positions, folds it in
memory (an entry's newest row once, a district's day figures summed once) and hands the view
the rows to store, in one ``save_batch`` with the position the batch reaches. The view (the
port, :class:`ProgressView`) stores rows and position in one transaction and ignores anything
at or before the position it already has, so redelivery changes nothing; an event folded alone
(``process``) leaves the rows an event of a larger batch leaves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from projections.envelope import Envelope, FreshBatchProjection
from projections.progress_assessment import (
    IN_RECONCILIATION,
    VERIFIED_STATUSES,
    DistrictPlanRow,
    DistrictProgress,
    ProvinceProgress,
)
from projections.rows import BookRow, evolve

# ----- what the projection hands the view ---------------------------------------------------


@dataclass(frozen=True)
class RegisterRow(BookRow):
    """A catalogued book: what it is expected to hold."""


@dataclass(frozen=True)
class ScannedPage:
    """A page of a book holds a scan (a rescan of the same page is the same row)."""

    register_id: UUID
    district: str
    page_number: int


@dataclass(frozen=True)
class EntryRow:
    """An entry's place in the workflow.

    ``open_discrepancies`` names the fields still to reconcile; ``status_before_correction``
    is what a rejected correction restores; ``version`` is the entry's last event applied.
    """

    id: UUID
    register_id: UUID
    district: str
    status: str
    ever_second_keyed: bool
    ever_published: bool
    version: int
    open_discrepancies: tuple[str, ...] = ()
    status_before_correction: str | None = None


ProgressUpdate = RegisterRow | ScannedPage | EntryRow | DistrictPlanRow

# The cumulative figures the trend follows, each counted on the day (UTC) of the event that
# first reached it: a book catalogued, a page first scanned, an entry first keyed, second-keyed,
# verified or published.
TREND_STAGES = (
    "registers",
    "pages_scanned",
    "entries_keyed",
    "entries_second_keyed",
    "entries_verified",
    "entries_published",
)


@dataclass(frozen=True)
class DayTally:
    """How one event moved its district's figures on the day it occurred (the trend's input).

    The view adds a book's or a page's tally only when it stores that book or page for the first
    time, so a redelivered event is not counted twice."""

    district: str
    day: dt.date
    deltas: tuple[tuple[str, int], ...]


TallyKey = tuple[str, dt.date, str]  # (district, day, stage)


@dataclass
class ProgressBatch:
    """What a batch changes: each row as it ends the batch, and the day figures it moved
    (a figure that moved and came back is kept, at 0: one event at a time would write it)."""

    registers: dict[UUID, RegisterRow] = field(default_factory=dict)
    pages: dict[tuple[UUID, int], ScannedPage] = field(default_factory=dict)
    entries: dict[UUID, EntryRow] = field(default_factory=dict)
    plans: dict[str, DistrictPlanRow] = field(default_factory=dict)
    tallies: dict[TallyKey, int] = field(default_factory=dict)

    def add(self, tally: DayTally) -> None:
        for stage, n in tally.deltas:
            key = (tally.district, tally.day, stage)
            self.tallies[key] = self.tallies.get(key, 0) + n


@dataclass(frozen=True)
class TrendPoint:
    """The figures of ``TREND_STAGES`` as they stood at the end of ``day``."""

    day: dt.date
    figures: Mapping[str, int]


# ----- the port -----------------------------------------------------------------------------


class ProgressView(Protocol):
    """Where the progress rows live; every save stores its rows and the position together,
    and a save at or before the stored position changes nothing."""

    def position(self) -> int: ...

    def get_entry(self, entry_id: UUID) -> EntryRow | None: ...

    def get_district_plan(self, district: str) -> DistrictPlanRow | None: ...

    def get_entries(self, entry_ids: Collection[UUID]) -> dict[UUID, EntryRow]: ...

    def get_district_plans(self, districts: Collection[str]) -> dict[str, DistrictPlanRow]: ...

    def stored_registers(self, register_ids: Collection[UUID]) -> set[UUID]: ...

    def stored_pages(self, pages: Collection[tuple[UUID, int]]) -> set[tuple[UUID, int]]: ...

    def save(
        self, position: int, update: ProgressUpdate | None, tally: DayTally | None = None
    ) -> None: ...

    def save_batch(self, position: int, batch: ProgressBatch) -> None: ...

    def district_progress(self, district: str, today: dt.date) -> DistrictProgress: ...

    def province_progress(
        self, today: dt.date, *, districts: Iterable[str] = ()
    ) -> ProvinceProgress: ...


# ----- the projection -----------------------------------------------------------------------


class DistrictProgressProjection(FreshBatchProjection[ProgressView]):
    """Folds a batch of envelopes into the rows they change, saved with the batch's position."""

    def fold(self, fresh: list[Envelope], position: int) -> None:
        fold = _Fold(self.view, fresh)
        for envelope in fresh:
            fold.apply(envelope)
        self.view.save_batch(position, fold.batch)


class _Fold:
    """A batch's rows as they stand after each event: the view's rows for what the batch
    touches (read at once), then the batch's changes; what the view would count (a book or a
    page it did not have, an entry's move to a stage) is tallied on the event's day."""

    def __init__(self, view: ProgressView, envelopes: Sequence[Envelope]) -> None:
        registers, pages, entries, districts = set(), set(), set(), set()
        for e in envelopes:
            if e.aggregate_type == "CivilRecord":
                entries.add(e.aggregate_id)
            elif e.name == "RegisterCatalogued":
                registers.add(e.aggregate_id)
            elif e.name in ("PageScanned", "PageRescanned"):
                pages.add((e.aggregate_id, int(e.payload["page_number"])))
            elif e.name in ("DistrictTargetSet", "DistrictCompletionRecorded"):
                districts.add(str(e.payload["district_code"]))
        self.entries = view.get_entries(entries) if entries else {}
        self.plans = view.get_district_plans(districts) if districts else {}
        self.registers = view.stored_registers(registers) if registers else set()
        self.pages = view.stored_pages(pages) if pages else set()
        self.batch = ProgressBatch()

    def apply(self, envelope: Envelope) -> None:
        deltas: tuple[tuple[str, int], ...] = ()
        if envelope.aggregate_type == "Register":
            deltas = self._register(envelope)
        elif envelope.aggregate_type == "CivilRecord":
            deltas = self._entry(envelope)
        elif envelope.aggregate_type == "DigitisationPlan":
            self._plan(envelope)
        if deltas:
            day = envelope.occurred_at.astimezone(dt.UTC).date()
            self.batch.add(DayTally(envelope.district, day, deltas))

    def _register(self, envelope: Envelope) -> tuple[tuple[str, int], ...]:
        update = register_update(envelope)
        if isinstance(update, RegisterRow):
            new = update.id not in self.registers
            self.registers.add(update.id)
            self.batch.registers[update.id] = update
            return (("registers", 1),) if new else ()
        if isinstance(update, ScannedPage):
            key = (update.register_id, update.page_number)
            if key in self.pages:
                return ()  # a rescan names a page that already has a row: no page more
            self.pages.add(key)
            self.batch.pages[key] = update
            return (("pages_scanned", 1),) if envelope.name == "PageScanned" else ()
        return ()

    def _entry(self, envelope: Envelope) -> tuple[tuple[str, int], ...]:
        row = self.entries.get(envelope.aggregate_id)
        if envelope.name == "EntryKeyed":
            if row is not None:
                return ()  # already applied
            new = EntryRow(
                id=envelope.aggregate_id,
                register_id=UUID(str(envelope.payload["register_id"])),
                district=envelope.district,
                status="keyed",
                ever_second_keyed=False,
                ever_published=False,
                version=envelope.version,
            )
        elif row is None or envelope.version <= row.version:
            return ()  # keyed before this view began, or already applied
        else:
            new = evolve(
                next_entry_state(row, envelope.name, envelope.payload), version=envelope.version
            )
        self.entries[new.id] = self.batch.entries[new.id] = new
        return entry_deltas(row, new)

    def _plan(self, envelope: Envelope) -> None:
        payload = envelope.payload
        if envelope.name not in ("DistrictTargetSet", "DistrictCompletionRecorded"):
            return  # PlanCreated
        district = str(payload["district_code"])
        row = self.plans.get(district) or DistrictPlanRow(district, None, None)
        if envelope.name == "DistrictTargetSet":
            row = evolve(row, target_date=dt.date.fromisoformat(payload["target_date"]))
        else:
            row = evolve(row, completed_on=dt.date.fromisoformat(payload["completed_on"]))
        self.plans[district] = self.batch.plans[district] = row


def register_update(envelope: Envelope) -> RegisterRow | ScannedPage | None:
    """The book or page a register event stores (None: FixityChecked and anything newer
    changes no figure)."""
    payload = envelope.payload
    if envelope.name == "RegisterCatalogued":
        return RegisterRow(
            id=envelope.aggregate_id,
            district=envelope.district,
            commune_code=str(payload["commune_code"]),
            kind=str(payload["kind"]),
            page_count=int(payload["page_count"]),
            estimated_entries=int(payload["estimated_entries"]),
        )
    if envelope.name in ("PageScanned", "PageRescanned"):
        return ScannedPage(
            register_id=envelope.aggregate_id,
            district=envelope.district,
            page_number=int(payload["page_number"]),
        )
    return None


def _entry_figures(row: EntryRow | None) -> tuple[int, int, int, int]:
    if row is None:
        return (0, 0, 0, 0)
    verified = row.status in VERIFIED_STATUSES
    return (1, int(row.ever_second_keyed), int(verified), int(row.ever_published))


def entry_deltas(old: EntryRow | None, new: EntryRow) -> tuple[tuple[str, int], ...]:
    """How an entry's change moves the trend's entry figures (only the ones that moved)."""
    stages = ("entries_keyed", "entries_second_keyed", "entries_verified", "entries_published")
    moved = zip(stages, _entry_figures(old), _entry_figures(new), strict=True)
    return tuple((stage, b - a) for stage, a, b in moved if b != a)


def next_entry_state(row: EntryRow, event: str, payload: Mapping[str, Any]) -> EntryRow:
    """The entry after one of its events (``event`` is the short name, e.g. "EntryVerified")."""
    if event == "EntryRekeyed":
        return evolve(row, status="keyed", open_discrepancies=())
    if event == "EntrySecondKeyed":
        return evolve(row, status="second_keyed", ever_second_keyed=True)
    if event == "DiscrepanciesFound":
        fields = tuple(sorted({str(d["field"]) for d in payload["discrepancies"]}))
        return evolve(
            row,
            status="discrepancies_found" if fields else row.status,
            open_discrepancies=fields,
        )
    if event == "DiscrepancyReconciled":
        left = tuple(f for f in row.open_discrepancies if f != payload["field"])
        return evolve(
            row,
            open_discrepancies=left,
            status="reconciled" if not left and row.status == IN_RECONCILIATION else row.status,
        )
    if event == "EntryVerified":
        return evolve(row, status="verified", status_before_correction=None)
    if event == "EntryRejected":
        return evolve(row, status="rejected")
    if event == "EntryCorrected":
        if row.status == "corrected":
            return row
        return evolve(row, status="corrected", status_before_correction=row.status)
    if event == "CorrectionRejected":
        return evolve(
            row, status=row.status_before_correction or "verified", status_before_correction=None
        )
    if event == "EntryPublished":
        return evolve(row, status="published", ever_published=True)
    return row
