"""The district-progress figures judged against the plan: completion %, each district's plan
status (done, on track, late, no target), the year's plan and the province's headline.

Pure: the read stores count the figures (:class:`ProgressCounts`) and these rules judge them as
of a day; the words are the presenters'.

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
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import ClassVar, overload


@dataclass(frozen=True)
class DistrictPlanRow:
    """The plan for one district (what the projection keeps of the plan's events): its target
    date and the date it was accepted as complete."""

    district: str
    target_date: dt.date | None
    completed_on: dt.date | None


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


class _Figure:
    """A figure of a district's progress, read by name from its ``counts``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, progress: None, owner: type) -> _Figure: ...

    @overload
    def __get__(self, progress: DistrictProgress, owner: type | None = None) -> int: ...

    def __get__(
        self, progress: DistrictProgress | None, owner: type | None = None
    ) -> int | _Figure:
        if progress is None:  # read on the class (help(), inspect)
            return self
        return int(getattr(progress.counts, self.name))


@dataclass(frozen=True)
class DistrictProgress:
    district: str
    counts: ProgressCounts
    target_date: dt.date | None
    completed_on: dt.date | None
    completion_percent: float
    status: PlanStatus

    # The figures managers read, by name.
    registers = _Figure()
    pages_scanned = _Figure()
    pages_expected = _Figure()
    entries_expected = _Figure()
    entries_keyed = _Figure()
    entries_second_keyed = _Figure()
    entries_in_reconciliation = _Figure()
    entries_verified = _Figure()
    entries_published = _Figure()

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
class Headline:
    """The province's headline in figures: districts done of all, and the year's plan. Its
    words are the presenters' (the message ``code``, with ``params``)."""

    code: ClassVar[str] = "progress.headline"
    districts_done: int
    districts_total: int
    plan: YearPlan

    @property
    def params(self) -> dict[str, int]:
        return {
            "districts_done": self.districts_done,
            "districts_total": self.districts_total,
            "year": self.plan.year,
            "remaining": self.plan.remaining,
            "targeted": self.plan.targeted,
            "targeted_done": self.plan.targeted_done,
        }


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

    def plan_year(self) -> int:
        """The plan year shown when none is asked for (``GET /progress``, the dashboard, the
        headline): the oldest year up to today's with a targeted district not done yet; else
        today's year."""
        open_years = [
            d.target_date.year
            for d in self.districts
            if d.target_date is not None and not d.done and d.target_date.year <= self.today.year
        ]
        return min(open_years, default=self.today.year)

    def year_plan(self, year: int | None = None) -> YearPlan:
        """``year`` defaults to :meth:`plan_year`. A district counts as remaining unless its
        acceptance was recorded before 1 January of the year."""
        year = self.plan_year() if year is None else year
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

    def headline(self, year: int | None = None) -> Headline:
        """The headline's figures for ``year`` (default: :meth:`plan_year`)."""
        return Headline(self.districts_done, self.districts_total, self.year_plan(year))


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
