"""The progress trend: each district's figures day by day, counted from the events' own times.

The demo's envelopes are fed to the district-progress projection with their ``occurred_at``
spread over three days (a projection trusts the envelope it is given), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator

import pytest

from demo.load import load_demo
from digitization.application import Digitisation
from infra.read_store.progress import SqlProgressView
from projections.district_progress import (
    TREND_STAGES,
    DistrictProgressProjection,
    EntryRow,
    entry_deltas,
)
from projections.envelope import Envelope
from projections.progress_assessment import ProgressCounts
from tests.builders import logged_envelopes, signed_memory_app
from tests.integration.read_stores import KINDS, read_stores

DAYS = (dt.date(2023, 3, 1), dt.date(2023, 3, 2), dt.date(2023, 3, 5))
TODAY = dt.date(2023, 6, 1)


def envelopes(app: Digitisation) -> list[tuple[Envelope, int]]:
    """Every envelope of the store, the first third on DAYS[0], the next on DAYS[1]..."""
    found = list(logged_envelopes(app))
    third = len(found) // 3 + 1
    return [
        (
            dataclasses.replace(
                e, occurred_at=dt.datetime.combine(DAYS[i // third], dt.time(9), tzinfo=dt.UTC)
            ),
            position,
        )
        for i, (e, position) in enumerate(found)
    ]


@pytest.fixture(scope="module")
def demo_envelopes() -> list[tuple[Envelope, int]]:
    app = signed_memory_app()
    load_demo(app)
    return envelopes(app)


@pytest.fixture(params=KINDS)
def view(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlProgressView]:
    stores = read_stores(str(request.param), tmp_path_factory.mktemp("trend"))
    yield SqlProgressView(stores.database("trend_progress"))
    stores.close()


def project_in_one_batch(view: SqlProgressView, envelopes: list[tuple[Envelope, int]]) -> None:
    """The envelopes projected into ``view`` in one batch, as a runner writes them."""
    projection = DistrictProgressProjection(view)
    with view.batch():
        for envelope, position in envelopes:
            projection.process(envelope, position)


def figures_now(view: SqlProgressView, districts: list[str] | None = None) -> dict[str, int]:
    province = view.province_progress(TODAY)
    counts = [d for d in province.districts if districts is None or d.district in districts]
    return {stage: sum(getattr(d, stage) for d in counts) for stage in TREND_STAGES}


def test_the_trend_ends_at_todays_figures_and_follows_the_event_days(
    view: SqlProgressView, demo_envelopes: list[tuple[Envelope, int]]
) -> None:
    project_in_one_batch(view, demo_envelopes)
    trend = view.trend()
    assert [p.day for p in trend] == list(DAYS)
    assert {k: v for k, v in trend[-1].figures.items() if v} == {
        k: v for k, v in figures_now(view).items() if v
    }
    for earlier, later in itertools.pairwise(trend):  # cumulative: never goes down
        assert all(later.figures.get(s, 0) >= earlier.figures.get(s, 0) for s in TREND_STAGES)
    assert trend[0].figures["registers"] > 0
    one = view.trend(["026"])
    assert {k: v for k, v in one[-1].figures.items() if v} == {
        k: v for k, v in figures_now(view, ["026"]).items() if v
    }
    assert view.trend([]) == []


def test_a_redelivered_event_at_a_new_position_counts_once(
    view: SqlProgressView, demo_envelopes: list[tuple[Envelope, int]]
) -> None:
    projection = DistrictProgressProjection(view)
    for envelope, position in demo_envelopes:
        projection.process(envelope, position)
    before = view.trend()
    last = demo_envelopes[-1][1]
    with view.batch():  # the relay re-sent everything after a crash: same events, new offsets
        for i, (envelope, _) in enumerate(demo_envelopes, start=1):
            projection.process(envelope, last + i)
    assert view.trend() == before


def test_entry_deltas_count_first_reaching_each_stage() -> None:
    from uuid import uuid4

    keyed = EntryRow(uuid4(), uuid4(), "026", "keyed", False, False, 1)
    assert entry_deltas(None, keyed) == (("entries_keyed", 1),)
    verified = dataclasses.replace(keyed, status="verified", version=2)
    assert entry_deltas(keyed, verified) == (("entries_verified", 1),)
    corrected = dataclasses.replace(verified, status="corrected", version=3)
    assert entry_deltas(verified, corrected) == ()  # still counted as verified
    assert entry_deltas(corrected, dataclasses.replace(corrected, status="verified")) == ()
    published = dataclasses.replace(verified, status="published", ever_published=True)
    assert entry_deltas(verified, published) == (("entries_published", 1),)


def test_each_books_figures_add_up_to_its_districts(
    view: SqlProgressView, demo_envelopes: list[tuple[Envelope, int]]
) -> None:
    project_in_one_batch(view, demo_envelopes)
    district = view.district_progress("026", TODAY)
    books = view.register_progress("026")
    assert len(books) == district.registers == 9
    assert {b.commune_code for b, _ in books}
    assert all(b.district == "026" for b, _ in books)
    total = sum((counts for _, counts in books), ProgressCounts())
    assert total == district.counts
    assert view.register_progress("999") == []
