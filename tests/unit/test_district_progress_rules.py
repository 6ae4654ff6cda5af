"""DistrictProgress's pure rules: completion %, plan status, the year's plan, entry states."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import pytest

from api.web.i18n import Translator
from projections.district_progress import EntryRow, next_entry_state
from projections.progress_assessment import (
    DistrictPlanRow,
    PlanStatus,
    ProgressCounts,
    assess,
    assess_province,
    completion_percent,
)

TODAY = dt.date(2023, 6, 1)
ENTRY = EntryRow(
    id=UUID(int=1),
    register_id=UUID(int=2),
    district="026",
    status="keyed",
    ever_second_keyed=False,
    ever_published=False,
    version=1,
)


def counts(**figures: int) -> ProgressCounts:
    published = figures.pop("published", 0)
    keyed = figures.pop("keyed", published)
    by_status = {"published": published, "keyed": keyed - published}
    return ProgressCounts(entries_published=published, entries_by_status=by_status, **figures)


@pytest.mark.parametrize(
    ("figures", "percent"),
    [
        ({}, 0.0),  # nothing catalogued
        ({"registers": 1, "pages_expected": 10, "entries_expected": 4}, 0.0),
        ({"registers": 1, "pages_expected": 10, "pages_scanned": 10, "entries_expected": 4}, 50.0),
        (
            {
                "registers": 1,
                "pages_expected": 10,
                "pages_scanned": 10,
                "entries_expected": 4,
                "published": 4,
            },
            100.0,
        ),
        # more entries keyed than estimated: the keyed ones are what must be published
        (
            {
                "registers": 1,
                "pages_expected": 10,
                "pages_scanned": 10,
                "entries_expected": 4,
                "keyed": 5,
                "published": 4,
            },
            90.0,
        ),
        # 2/3 of pages and 2/3 of entries: 66.666… floored, never rounded up
        (
            {
                "registers": 1,
                "pages_expected": 3,
                "pages_scanned": 2,
                "entries_expected": 3,
                "published": 2,
            },
            66.6,
        ),
        # a book expecting no entry is complete once scanned
        ({"registers": 1, "pages_expected": 2, "pages_scanned": 2}, 100.0),
    ],
)
def test_completion_is_the_mean_of_pages_and_entries_published(
    figures: dict[str, int], percent: float
) -> None:
    assert completion_percent(counts(**figures)) == percent


def test_99_95_percent_is_not_shown_as_complete() -> None:
    nearly = counts(registers=1, pages_expected=1000, pages_scanned=999, entries_expected=0)
    assert completion_percent(nearly) == 99.9
    assert assess("026", nearly, None, TODAY).status is PlanStatus.NO_TARGET


def plan(target: str | None, completed_on: str | None = None) -> DistrictPlanRow:
    return DistrictPlanRow(
        "026",
        dt.date.fromisoformat(target) if target else None,
        dt.date.fromisoformat(completed_on) if completed_on else None,
    )


@pytest.mark.parametrize(
    ("row", "status"),
    [
        (None, PlanStatus.NO_TARGET),
        (plan("2023-06-01"), PlanStatus.ON_TRACK),  # the target day itself
        (plan("2023-05-31"), PlanStatus.LATE),
        (plan("2022-12-31", "2023-01-10"), PlanStatus.DONE),  # accepted late: done all the same
    ],
)
def test_plan_status(row: DistrictPlanRow | None, status: PlanStatus) -> None:
    assert assess("026", ProgressCounts(), row, TODAY).status is status


def test_a_district_at_100_percent_is_done_without_a_plan() -> None:
    complete = counts(
        registers=1, pages_expected=2, pages_scanned=2, entries_expected=1, published=1
    )
    assert assess("026", complete, None, TODAY).status is PlanStatus.DONE


def test_the_year_plan_counts_districts_accepted_during_the_year_as_remaining() -> None:
    plans = {
        "024": DistrictPlanRow("024", dt.date(2022, 12, 31), dt.date(2022, 11, 30)),
        "030": DistrictPlanRow("030", dt.date(2023, 11, 30), dt.date(2023, 3, 1)),
        "031": DistrictPlanRow("031", dt.date(2023, 11, 30), None),
        "026": DistrictPlanRow("026", dt.date(2024, 12, 31), None),
    }
    province = assess_province({}, plans, TODAY, districts=["024", "026", "027", "030", "031"])
    year = province.year_plan()
    assert (year.year, year.remaining, year.targeted, year.targeted_done) == (2023, 4, 2, 1)
    assert Translator("en").headline(province.headline()) == (
        "2 of 5 districts complete; 2 of the 4 remaining targeted for 2023, 1 of them done"
    )
    assert Translator("vi").headline(province.headline()) == (
        "2/5 huyện đã hoàn thành; kế hoạch năm 2023: 2 trong 4 huyện còn lại, đã hoàn thành 1"
    )


def test_reconciled_only_once_every_discrepancy_is_settled() -> None:
    found = next_entry_state(
        ENTRY,
        "DiscrepanciesFound",
        {"discrepancies": [{"field": "child.sex"}, {"field": "registrar"}]},
    )
    assert found.status == "discrepancies_found"
    one = next_entry_state(found, "DiscrepancyReconciled", {"field": "child.sex"})
    assert (one.status, one.open_discrepancies) == ("discrepancies_found", ("registrar",))
    both = next_entry_state(one, "DiscrepancyReconciled", {"field": "registrar"})
    assert (both.status, both.open_discrepancies) == ("reconciled", ())


def test_a_rejected_correction_restores_the_status_before_the_correction() -> None:
    published = next_entry_state(ENTRY, "EntryPublished", {})
    corrected = next_entry_state(published, "EntryCorrected", {})
    again = next_entry_state(corrected, "EntryCorrected", {})  # a second correction
    assert (again.status, again.status_before_correction) == ("corrected", "published")
    restored = next_entry_state(again, "CorrectionRejected", {})
    assert (restored.status, restored.status_before_correction) == ("published", None)
    assert restored.ever_published


def test_rekeying_keeps_the_history_flags_and_clears_discrepancies() -> None:
    row = next_entry_state(ENTRY, "EntrySecondKeyed", {})
    row = next_entry_state(row, "DiscrepanciesFound", {"discrepancies": [{"field": "registrar"}]})
    row = next_entry_state(row, "EntryRejected", {})
    row = next_entry_state(row, "EntryRekeyed", {})
    assert (row.status, row.ever_second_keyed, row.open_discrepancies) == ("keyed", True, ())


def test_the_plan_year_asked_for_by_no_one_is_the_oldest_one_still_open() -> None:
    plans = {
        "026": DistrictPlanRow("026", dt.date(2023, 11, 30), None),  # late
        "027": DistrictPlanRow("027", dt.date(2024, 11, 30), None),
        "028": DistrictPlanRow("028", dt.date(2022, 11, 30), dt.date(2022, 10, 1)),  # done
    }
    province = assess_province({}, plans, dt.date(2026, 1, 10))
    assert province.plan_year() == 2023
    assert province.year_plan() == province.year_plan(2023)
    assert province.headline().plan.year == 2023
    assert assess_province({}, {}, dt.date(2026, 1, 10)).plan_year() == 2026
