"""DistrictProgress: how far each district's books and entries are, against the plan.

Managers steer by these figures: books catalogued, pages scanned against pages expected,
entries keyed, second-keyed, in reconciliation, verified and published, each district's
target date and acceptance (nghiệm thu), and headlines such as "2 of 11 districts complete;
5 of the 9 remaining targeted for 2023".

The projection is pure: it takes a signed envelope and its position in the notification log and
hands the view at most one small row to store, in one ``save`` with that position. The view
(the port, :class:`ProgressView`) stores row and position in one transaction and ignores
anything at or before the position it already has, so redelivery changes nothing.

**Completion %** of a district (and of the province, from its totals) is the mean of two
ratios, each capped at 1, floored to one decimal so that 100.0 means complete:

- pages: pages scanned / pages expected (the books' page counts);
- entries: entries published / the larger of entries expected (the sum of the books'
  estimated entries) and entries keyed (so where the books hold more entries than estimated,
  those must be published too). With books catalogued but no entry expected nor keyed, this
  ratio is 1.

A district with no book catalogued is at 0 %. Completion % is measured from the events; the
plan's acceptance is not forced into it (a district accepted before its books were in hotich
reads "done" at whatever its data say).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction
from typing import Any, Protocol
from uuid import UUID

from projections.envelope import Envelope

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


@dataclass(frozen=True)
class DistrictPlanRow:
    """The plan for one district: its target date and the date it was accepted as complete."""

    district: str
    target_date: dt.date | None
    completed_on: dt.date | None


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


# ----- what the view answers ----------------------------------------------------------------


class PlanStatus(StrEnum):
    DONE = "done"  # acceptance recorded in the plan, or 100 %
    LATE = "late"  # target date before today and not done
    ON_TRACK = "on_track"  # target date today or later and not done
    NO_TARGET = "no_target"  # not done and the plan gives no target date


# Entry statuses that count as verified: verified, published, or corrected after verification
# (only a verified or published entry can be corrected).
VERIFIED_STATUSES = frozenset({"verified", "published", "corrected"})
IN_RECONCILIATION = "discrepancies_found"


@dataclass(frozen=True)
class ProgressCounts:
    """Raw figures of a district (or of the province), as the view counts them.

    ``entries_second_keyed`` and ``entries_published`` count entries that ever were (a
    published entry being corrected stays visible to the portal in its published version).
    """

    registers: int = 0
    pages_expected: int = 0
    pages_scanned: int = 0
    entries_expected: int = 0
    entries_second_keyed: int = 0
    entries_published: int = 0
    entries_by_status: Mapping[str, int] = field(default_factory=dict)

    @property
    def entries_keyed(self) -> int:
        """Every entry keyed, whatever its status (rejected ones included)."""
        return sum(self.entries_by_status.values())

    @property
    def entries_in_reconciliation(self) -> int:
        return self.entries_by_status.get(IN_RECONCILIATION, 0)

    @property
    def entries_verified(self) -> int:
        return sum(n for s, n in self.entries_by_status.items() if s in VERIFIED_STATUSES)

    def __add__(self, other: ProgressCounts) -> ProgressCounts:
        by_status = dict(self.entries_by_status)
        for status, n in other.entries_by_status.items():
            by_status[status] = by_status.get(status, 0) + n
        return ProgressCounts(
            registers=self.registers + other.registers,
            pages_expected=self.pages_expected + other.pages_expected,
            pages_scanned=self.pages_scanned + other.pages_scanned,
            entries_expected=self.entries_expected + other.entries_expected,
            entries_second_keyed=self.entries_second_keyed + other.entries_second_keyed,
            entries_published=self.entries_published + other.entries_published,
            entries_by_status=dict(sorted(by_status.items())),
        )


def _ratio(done: int, expected: int) -> Fraction:
    return min(Fraction(done, expected), Fraction(1)) if expected > 0 else Fraction(1)


def completion(counts: ProgressCounts) -> Fraction:
    """Completion as an exact fraction in [0, 1] (see the module's docstring)."""
    if counts.registers == 0:
        return Fraction(0)
    pages = _ratio(counts.pages_scanned, counts.pages_expected)
    entries = _ratio(counts.entries_published, max(counts.entries_expected, counts.entries_keyed))
    return (pages + entries) / 2


def completion_percent(counts: ProgressCounts) -> float:
    """Completion in per cent, floored to one decimal (100.0 only when complete)."""
    return math.floor(completion(counts) * 1000) / 10


@dataclass(frozen=True)
class DistrictProgress:
    district: str
    counts: ProgressCounts
    target_date: dt.date | None
    completed_on: dt.date | None
    completion_percent: float
    status: PlanStatus

    # The figures managers read, by name.
    @property
    def registers(self) -> int:
        return self.counts.registers

    @property
    def pages_scanned(self) -> int:
        return self.counts.pages_scanned

    @property
    def pages_expected(self) -> int:
        return self.counts.pages_expected

    @property
    def entries_expected(self) -> int:
        return self.counts.entries_expected

    @property
    def entries_keyed(self) -> int:
        return self.counts.entries_keyed

    @property
    def entries_second_keyed(self) -> int:
        return self.counts.entries_second_keyed

    @property
    def entries_in_reconciliation(self) -> int:
        return self.counts.entries_in_reconciliation

    @property
    def entries_verified(self) -> int:
        return self.counts.entries_verified

    @property
    def entries_published(self) -> int:
        return self.counts.entries_published

    @property
    def done(self) -> bool:
        return self.status is PlanStatus.DONE


def assess(
    district: str, counts: ProgressCounts, plan: DistrictPlanRow | None, today: dt.date
) -> DistrictProgress:
    """A district's figures against its plan, as of ``today``."""
    target = plan.target_date if plan else None
    completed_on = plan.completed_on if plan else None
    if completed_on is not None or completion(counts) == 1:
        status = PlanStatus.DONE
    elif target is None:
        status = PlanStatus.NO_TARGET
    elif target < today:
        status = PlanStatus.LATE
    else:
        status = PlanStatus.ON_TRACK
    return DistrictProgress(
        district=district,
        counts=counts,
        target_date=target,
        completed_on=completed_on,
        completion_percent=completion_percent(counts),
        status=status,
    )


@dataclass(frozen=True)
class YearPlan:
    """The plan for one year: of the districts not accepted before it (``remaining``), how
    many are targeted for that year and how many of those are done."""

    year: int
    remaining: int
    targeted: int
    targeted_done: int


@dataclass(frozen=True)
class ProvinceProgress:
    today: dt.date
    districts: tuple[DistrictProgress, ...]  # by district code
    totals: ProgressCounts
    completion_percent: float

    @property
    def districts_total(self) -> int:
        return len(self.districts)

    @property
    def districts_done(self) -> int:
        return sum(1 for d in self.districts if d.done)

    def district(self, code: str) -> DistrictProgress | None:
        return next((d for d in self.districts if d.district == code), None)

    def year_plan(self, year: int | None = None) -> YearPlan:
        """``year`` defaults to today's. A district counts as remaining unless its acceptance
        was recorded before 1 January of the year."""
        year = self.today.year if year is None else year
        remaining = [
            d for d in self.districts if d.completed_on is None or d.completed_on.year >= year
        ]
        targeted = [d for d in remaining if d.target_date and d.target_date.year == year]
        return YearPlan(
            year=year,
            remaining=len(remaining),
            targeted=len(targeted),
            targeted_done=sum(1 for d in targeted if d.done),
        )

    def headline_en(self, year: int | None = None) -> str:
        plan = self.year_plan(year)
        return (
            f"{self.districts_done} of {self.districts_total} districts complete; "
            f"{plan.targeted} of the {plan.remaining} remaining targeted for {plan.year}, "
            f"{plan.targeted_done} of them done"
        )

    def headline_vi(self, year: int | None = None) -> str:
        plan = self.year_plan(year)
        return (
            f"{self.districts_done}/{self.districts_total} huyện đã hoàn thành; "
            f"kế hoạch năm {plan.year}: {plan.targeted} trong {plan.remaining} huyện còn lại, "
            f"đã hoàn thành {plan.targeted_done}"
        )


def assess_province(
    counts: Mapping[str, ProgressCounts],
    plans: Mapping[str, DistrictPlanRow],
    today: dt.date,
    districts: Iterable[str] = (),
) -> ProvinceProgress:
    """Every district that has figures, a plan, or is named in ``districts`` (e.g. all the
    province's districts from the administrative units, so those without books count too)."""
    codes = sorted(set(counts) | set(plans) | set(districts))
    progress = tuple(
        assess(code, counts.get(code, ProgressCounts()), plans.get(code), today) for code in codes
    )
    totals = sum((p.counts for p in progress), ProgressCounts())
    return ProvinceProgress(
        today=today,
        districts=progress,
        totals=totals,
        completion_percent=completion_percent(totals),
    )


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
