"""DistrictProgress: how far each district's books and entries are, against the plan.

Managers steer by these figures: books catalogued, pages scanned against pages expected,
entries keyed, second-keyed, in reconciliation, verified and published, each district's
target date and acceptance (nghiệm thu). This module turns events into the rows of the view;
:mod:`projections.progress_assessment` judges the figures the view counts against the plan.

The projection is pure: it takes a signed envelope and its position in the notification log and
hands the view at most one small row to store, in one ``save`` with that position. The view
(the port, :class:`ProgressView`) stores row and position in one transaction and ignores
anything at or before the position it already has, so redelivery changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol
from uuid import UUID

from projections.envelope import Envelope
from projections.progress_assessment import (
    IN_RECONCILIATION,
    VERIFIED_STATUSES,
    DistrictPlanRow,
    DistrictProgress,
    ProvinceProgress,
)

# ----- what the projection hands the view ---------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    """A catalogued book: what it is expected to hold."""

    id: UUID
    district: str
    commune_code: str
    kind: str
    page_count: int
    estimated_entries: int


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


@dataclass(frozen=True)
class TrendPoint:
    """The figures of ``TREND_STAGES`` as they stood at the end of ``day``."""

    day: dt.date
    figures: Mapping[str, int]


# ----- the port -----------------------------------------------------------------------------


class ProgressView(Protocol):
    """Where the progress rows live; every save stores one update and the position together,
    and a save at or before the stored position changes nothing."""

    def position(self) -> int: ...

    def get_entry(self, entry_id: UUID) -> EntryRow | None: ...

    def get_district_plan(self, district: str) -> DistrictPlanRow | None: ...

    def save(
        self, position: int, update: ProgressUpdate | None, tally: DayTally | None = None
    ) -> None: ...

    def district_progress(self, district: str, today: dt.date) -> DistrictProgress: ...

    def province_progress(
        self, today: dt.date, *, districts: Iterable[str] = ()
    ) -> ProvinceProgress: ...


# ----- the projection -----------------------------------------------------------------------


class DistrictProgressProjection:
    """Maps each envelope to at most one update of the view, saved with its position."""

    def __init__(self, view: ProgressView) -> None:
        self.view = view

    def process(self, envelope: Envelope, position: int) -> None:
        # no asking the view's position first: its save ignores a position at or before its own
        deltas: tuple[tuple[str, int], ...] = ()
        if envelope.aggregate_type == "Register":
            update: ProgressUpdate | None = self._register(envelope)
            if isinstance(update, RegisterRow):
                deltas = (("registers", 1),)
            elif update is not None and envelope.name == "PageScanned":
                deltas = (("pages_scanned", 1),)
        elif envelope.aggregate_type == "CivilRecord":
            update, deltas = self._entry(envelope)
        elif envelope.aggregate_type == "DigitisationPlan":
            update = self._plan(envelope)
        else:
            update = None
        day = envelope.occurred_at.astimezone(dt.UTC).date()
        tally = DayTally(envelope.district, day, deltas) if deltas else None
        self.view.save(position, update, tally)

    @staticmethod
    def _register(envelope: Envelope) -> RegisterRow | ScannedPage | None:
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
        return None  # FixityChecked and anything newer changes no figure

    def _entry(self, envelope: Envelope) -> tuple[EntryRow | None, tuple[tuple[str, int], ...]]:
        row = self.view.get_entry(envelope.aggregate_id)
        if envelope.name == "EntryKeyed":
            if row is not None:
                return None, ()  # already applied
            new = EntryRow(
                id=envelope.aggregate_id,
                register_id=UUID(str(envelope.payload["register_id"])),
                district=envelope.district,
                status="keyed",
                ever_second_keyed=False,
                ever_published=False,
                version=envelope.version,
            )
            return new, entry_deltas(None, new)
        if row is None or envelope.version <= row.version:
            return None, ()  # keyed before this view began, or already applied
        new = replace(
            next_entry_state(row, envelope.name, envelope.payload), version=envelope.version
        )
        return new, entry_deltas(row, new)

    def _plan(self, envelope: Envelope) -> DistrictPlanRow | None:
        payload = envelope.payload
        if envelope.name not in ("DistrictTargetSet", "DistrictCompletionRecorded"):
            return None  # PlanCreated
        district = str(payload["district_code"])
        row = self.view.get_district_plan(district) or DistrictPlanRow(district, None, None)
        if envelope.name == "DistrictTargetSet":
            return replace(row, target_date=dt.date.fromisoformat(payload["target_date"]))
        return replace(row, completed_on=dt.date.fromisoformat(payload["completed_on"]))


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
        return replace(row, status="keyed", open_discrepancies=())
    if event == "EntrySecondKeyed":
        return replace(row, status="second_keyed", ever_second_keyed=True)
    if event == "DiscrepanciesFound":
        fields = tuple(sorted({str(d["field"]) for d in payload["discrepancies"]}))
        return replace(
            row,
            status="discrepancies_found" if fields else row.status,
            open_discrepancies=fields,
        )
    if event == "DiscrepancyReconciled":
        left = tuple(f for f in row.open_discrepancies if f != payload["field"])
        return replace(
            row,
            open_discrepancies=left,
            status="reconciled" if not left and row.status == IN_RECONCILIATION else row.status,
        )
    if event == "EntryVerified":
        return replace(row, status="verified", status_before_correction=None)
    if event == "EntryRejected":
        return replace(row, status="rejected")
    if event == "EntryCorrected":
        if row.status == "corrected":
            return row
        return replace(row, status="corrected", status_before_correction=row.status)
    if event == "CorrectionRejected":
        return replace(
            row, status=row.status_before_correction or "verified", status_before_correction=None
        )
    if event == "EntryPublished":
        return replace(row, status="published", ever_published=True)
    return row
