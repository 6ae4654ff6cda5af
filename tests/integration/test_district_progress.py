"""DistrictProgress on SQLite and PostgreSQL, fed with real signed envelopes from the application.

The events come from the use cases on an in-memory event store sealed with a fresh Ed25519 key;
the projection reads them as envelopes, exactly as a Kafka consumer would.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.web.i18n import Translator
from demo.load import DemoSummary, load_demo
from digitization.application import Digitisation
from domain.actor import Actor, Role
from domain.civil_record import CorrectionKind
from infra.read_store.progress import SqlProgressView
from projections.district_progress import DistrictProgressProjection, ScannedPage
from projections.progress_assessment import PlanStatus, YearPlan
from tests.builders import (
    CLERK,
    CLERK_2,
    MA_LE,
    VERIFIER,
    catalogue_book,
    logged_envelopes,
    signed_memory_app,
    upload_scan,
    write_png,
)
from tests.integration.read_stores import KINDS, ReadStores, read_stores

LUNG_CU = "00715"  # another commune of Đồng Văn
QUANG_TRUNG = "00688"  # a ward of Thành phố Hà Giang (024)
ADMIN = Actor("admin.tinh", Role.ADMIN)
VI, EN = Translator("vi"), Translator("en")  # the headline's words are the presenters'
JUNE_2023 = dt.date(2023, 6, 1)
Demo = tuple[Digitisation, SqlProgressView, DemoSummary]


def feed(app: Digitisation, projection: DistrictProgressProjection, after: int = 0) -> int:
    """Hand every envelope after ``after`` to the projection; returns the last position."""
    for envelope, position in logged_envelopes(app, after):
        projection.process(envelope, position)
        after = position
    return after


def birth(name: str = "Giàng Seo Pó", **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "child.full_name": name,
        "child.sex": "nam",
        "child.birth_date": "12/03/1990",
        "child.birth_place": "Trạm y tế xã Má Lé",
        "child.ethnicity": "Mông",
        "mother.full_name": "Vàng Thị Mai",
        "father.full_name": "Giàng Seo Chứ",
        "registration_date": "20/03/1990",
        "registrar": "Lầu Mí Dình",
    }
    fields.update({k.replace("__", "."): v for k, v in changes.items()})
    return fields


class Workflow:
    """Drives the use cases and keeps a view fed after every step (the incremental view)."""

    def __init__(self, app: Digitisation, view: SqlProgressView, tmp: Path) -> None:
        self.app = app
        self.view = view
        self.projection = DistrictProgressProjection(view)
        self.position = 0
        self.tmp = tmp
        self.shade = 0
        self.books: dict[str, UUID] = {}
        self.entries: list[UUID] = []

    def step(self) -> None:
        self.position = feed(self.app, self.projection, self.position)

    def register(self, commune: str, book: str, pages: int, entries: int) -> UUID:
        register = catalogue_book(
            self.app, book, commune_code=commune, page_count=pages, estimated_entries=entries
        )
        self.step()
        return register.id

    def scan(self, register_id: UUID, page: int, rescan_reason: str | None = None) -> bool:
        self.shade += 1
        path = self.tmp / f"scan-{self.shade}.png"
        write_png(path, self.shade)
        return self.upload(register_id, page, path, rescan_reason)

    def upload(
        self, register_id: UUID, page: int, path: Path, rescan_reason: str | None = None
    ) -> bool:
        result = upload_scan(self.app, register_id, page, path, rescan_reason=rescan_reason)
        self.step()
        return result.recorded

    def key(self, register_id: UUID, number: int, fields: dict[str, Any] | None = None) -> UUID:
        entry = self.app.key_entry(
            actor=CLERK,
            register_id=register_id,
            entry_number=number,
            pages=[1],
            fields=fields or birth(),
        )
        self.step()
        self.entries.append(entry.id)
        return entry.id

    def do(self, use_case: str, entry_id: UUID, **kwargs: Any) -> None:
        getattr(self.app, use_case)(entry_id=entry_id, **kwargs)
        self.step()

    def second_key(self, entry_id: UUID, **changes: Any) -> None:
        self.do("second_key_entry", entry_id, actor=CLERK_2, fields=birth(**changes))

    def verify(self, entry_id: UUID) -> None:
        self.do("verify_entry", entry_id, actor=VERIFIER)

    def publish(self, entry_id: UUID) -> None:
        self.do("publish_entry", entry_id, actor=VERIFIER)

    def key_verify_publish(self, register_id: UUID, number: int) -> UUID:
        """Entry ``number`` keyed, verified (with no second keying) and published."""
        entry_id = self.key(register_id, number)
        self.verify(entry_id)
        self.publish(entry_id)
        return entry_id

    def correct(self, entry_id: UUID) -> None:
        self.do(
            "correct_entry",
            entry_id,
            actor=CLERK,
            kind=CorrectionKind.TRANSCRIPTION_FIX,
            changes={"child.birth_place": "Bệnh viện huyện Đồng Văn"},
            reason="Nhập sai nơi sinh so với bản quét",
        )

    def plan(self, district: str, target: str, completed_on: str | None = None) -> None:
        self.app.set_plan_target(actor=ADMIN, district_code=district, target_date=target)
        if completed_on:
            self.app.record_district_completion(
                actor=ADMIN, district_code=district, completed_on=completed_on
            )
        self.step()


@pytest.fixture
def app() -> Digitisation:
    return signed_memory_app()


@pytest.fixture
def view(read_store: ReadStores) -> Iterator[SqlProgressView]:
    v = SqlProgressView(read_store.database("progress"))
    yield v
    v.close()


@pytest.fixture
def workflow(app: Digitisation, view: SqlProgressView, tmp_path: Path) -> Workflow:
    """Two districts' books and entries in every state, and a plan, fed step by step.

    Đồng Văn (026): book A (6 pages, 10 entries expected) with pages 1-3 scanned (page 2
    rescanned, page 1 uploaded again) and 9 entries; book B (4 pages, 3 entries) untouched.
    Thành phố Hà Giang (024): book C (2 pages, 1 entry) scanned and its entry published.
    """
    w = Workflow(app, view, tmp_path)
    book_a = w.books["A"] = w.register(MA_LE, "01", pages=6, entries=10)
    w.books["B"] = w.register(LUNG_CU, "02", pages=4, entries=3)
    book_c = w.books["C"] = w.register(QUANG_TRUNG, "01", pages=2, entries=1)

    for page in (1, 2, 3):
        assert w.scan(book_a, page)
    assert w.scan(book_a, 2, rescan_reason="Trang bị mờ, quét lại")
    again = tmp_path / "scan-1.png"  # page 1's bytes uploaded again: nothing is recorded
    assert not w.upload(book_a, 1, again)
    for page in (1, 2):
        assert w.scan(book_c, page)

    w.key(book_a, 1)  # keyed
    e2 = w.key(book_a, 2)
    w.second_key(e2)  # second_keyed
    e3 = w.key(book_a, 3)
    w.second_key(e3, child__sex="nữ", registrar="Lầu Mí Sử")  # two discrepancies
    w.do("reconcile_entry", e3, actor=VERIFIER, resolutions={"child.sex": "nam"})  # one left
    e4 = w.key(book_a, 4)
    w.second_key(e4, child__sex="nữ", registrar="Lầu Mí Sử")
    w.do(
        "reconcile_entry",
        e4,
        actor=VERIFIER,
        resolutions={"child.sex": "nam", "registrar": "Lầu Mí Dình"},
    )  # reconciled
    w.key_verify_publish(book_a, 5)  # published
    e6 = w.key_verify_publish(book_a, 6)
    w.correct(e6)  # corrected (still published in its previous version)
    e7 = w.key(book_a, 7)
    w.second_key(e7)
    w.verify(e7)
    w.publish(e7)
    w.correct(e7)
    w.do("reject_entry", e7, actor=VERIFIER, reason="Bản quét ghi đúng như cũ")  # published
    e8 = w.key(book_a, 8)
    w.do("reject_entry", e8, actor=VERIFIER, reason="Chữ không rõ")
    w.do("rekey_entry", e8, actor=CLERK, pages=[1], fields=birth("Giàng Thị Dợ"))  # keyed
    e9 = w.key(book_a, 9)
    w.second_key(e9)
    w.verify(e9)  # verified

    w.key_verify_publish(book_c, 1)

    w.plan("026", "2023-12-31")  # on track in June 2023
    w.plan("027", "2023-01-31")  # late
    w.plan("028", "2022-12-31", completed_on="2022-12-20")  # done (accepted), no data at all
    return w


def test_counts_per_stage_after_a_realistic_workflow(workflow: Workflow) -> None:
    dong_van = workflow.view.district_progress("026", JUNE_2023)
    assert dong_van.registers == 2
    assert (dong_van.pages_scanned, dong_van.pages_expected) == (3, 10)
    assert dong_van.entries_expected == 13
    assert dong_van.entries_keyed == 9
    assert dong_van.entries_second_keyed == 5  # entries 2, 3, 4, 7, 9
    assert dong_van.entries_in_reconciliation == 1  # entry 3: one discrepancy still open
    assert dong_van.entries_verified == 4  # 9 verified, 5 and 7 published, 6 corrected
    assert dong_van.entries_published == 3  # 5, 6 (corrected since), 7
    assert dict(dong_van.counts.entries_by_status) == {
        "keyed": 2,
        "second_keyed": 1,
        "discrepancies_found": 1,
        "reconciled": 1,
        "verified": 1,
        "published": 2,
        "corrected": 1,
    }
    # mean of 3/10 pages and 3/13 entries published: 26.538… floored to one decimal
    assert dong_van.completion_percent == 26.5
    assert dong_van.status is PlanStatus.ON_TRACK
    assert dong_van.target_date == dt.date(2023, 12, 31)

    city = workflow.view.district_progress("024", JUNE_2023)
    assert (city.registers, city.pages_scanned, city.pages_expected) == (1, 2, 2)
    assert (city.entries_keyed, city.entries_verified, city.entries_published) == (1, 1, 1)
    assert city.completion_percent == 100.0


def test_the_view_agrees_with_every_entry_of_the_event_store(workflow: Workflow) -> None:
    for entry_id in workflow.entries:
        row = workflow.view.get_entry(entry_id)
        assert row is not None
        assert row.status == workflow.app.get_entry(entry_id).status.value


def test_rescans_and_repeated_uploads_do_not_add_pages(workflow: Workflow) -> None:
    before = workflow.view.district_progress("026", JUNE_2023)
    book_a = workflow.books["A"]
    for page in (1, 2, 3):
        assert workflow.scan(book_a, page, rescan_reason="Quét lại độ phân giải cao")
    assert len(workflow.app.get_register(book_a).replaced_pages) == 4
    after = workflow.view.district_progress("026", JUNE_2023)
    assert after.pages_scanned == before.pages_scanned == 3
    assert after == before
    assert workflow.scan(book_a, 4)  # a new page does count
    assert workflow.view.district_progress("026", JUNE_2023).pages_scanned == 4


def test_redelivering_every_event_changes_nothing(
    workflow: Workflow, read_store: ReadStores
) -> None:
    before = read_store.dump("progress")
    assert workflow.view.position() == workflow.position
    feed(workflow.app, workflow.projection)  # everything again, from the first event
    assert read_store.dump("progress") == before
    # A save at or before the stored position is dropped, whatever it carries.
    workflow.view.save(1, ScannedPage(workflow.books["B"], "026", 1))
    assert read_store.dump("progress") == before


def test_a_batch_rolled_back_leaves_rows_and_position_as_they_were(
    workflow: Workflow, read_store: ReadStores
) -> None:
    view = workflow.view
    before = read_store.dump("progress")
    position = view.position()
    progress = view.district_progress("026", JUNE_2023)
    book_b = workflow.books["B"]

    def fail_after_two_saves() -> None:
        with view.batch():
            view.save(position + 1, ScannedPage(book_b, "026", 1))
            view.save(position + 2, ScannedPage(book_b, "026", 2))
            # inside the batch the writer sees its own saves ...
            assert view.position() == position + 2
            assert view.district_progress("026", JUNE_2023).pages_scanned == 5
            raise RuntimeError("the runner failed")

    with pytest.raises(RuntimeError, match="the runner failed"):
        fail_after_two_saves()
    # ... and after the rollback nobody does
    assert view.position() == position
    assert view.district_progress("026", JUNE_2023) == progress
    assert read_store.dump("progress") == before
    view.save(position + 1, ScannedPage(book_b, "026", 1))  # the same save again is applied
    assert view.district_progress("026", JUNE_2023).pages_scanned == 4


def test_readers_see_a_batch_only_once_it_is_committed(workflow: Workflow) -> None:
    view = workflow.view
    position = view.position()
    seen: list[tuple[int, int]] = []

    def read() -> None:
        seen.append((view.position(), view.district_progress("026", JUNE_2023).pages_scanned))

    with view.batch():
        view.save(position + 1, ScannedPage(workflow.books["B"], "026", 1))
        reader = threading.Thread(target=read)
        reader.start()
        reader.join()
    read()
    assert seen == [(position, 3), (position + 1, 4)]


def test_each_event_delivered_twice_builds_the_same_view(
    workflow: Workflow, read_store: ReadStores
) -> None:
    twice = SqlProgressView(read_store.database("twice"))
    try:
        projection = DistrictProgressProjection(twice)
        for envelope, position in logged_envelopes(workflow.app):
            projection.process(envelope, position)
            projection.process(envelope, position)
        assert read_store.dump("twice") == read_store.dump("progress")
    finally:
        twice.close()


def test_a_rebuilt_view_equals_the_incremental_one(
    workflow: Workflow, read_store: ReadStores
) -> None:
    rebuilt = SqlProgressView(read_store.database("rebuilt"))
    try:
        feed(workflow.app, DistrictProgressProjection(rebuilt))
        assert read_store.dump("rebuilt") == read_store.dump("progress")
        districts = workflow.app.units.districts()
        codes = [d.code for d in districts]
        assert rebuilt.province_progress(JUNE_2023, districts=codes) == (
            workflow.view.province_progress(JUNE_2023, districts=codes)
        )
    finally:
        rebuilt.close()


def test_plan_statuses_for_a_given_day(workflow: Workflow) -> None:
    view = workflow.view
    codes = [d.code for d in workflow.app.units.districts()]
    province = view.province_progress(JUNE_2023, districts=codes)
    status = {d.district: d.status for d in province.districts}
    assert status["024"] is PlanStatus.DONE  # 100 %, though the plan has no target for it
    assert status["026"] is PlanStatus.ON_TRACK
    assert status["027"] is PlanStatus.LATE
    assert status["028"] is PlanStatus.DONE  # accepted in the plan
    assert status["029"] is PlanStatus.NO_TARGET
    assert province.districts_total == 11
    assert province.districts_done == 2
    plan_2023 = province.year_plan()
    assert (plan_2023.remaining, plan_2023.targeted, plan_2023.targeted_done) == (10, 2, 0)
    assert EN.headline(province.headline()) == (
        "2 of 11 districts complete; 2 of the 10 remaining targeted for 2023, 0 of them done"
    )
    # On the target day a district is still on track; the day after, late.
    assert view.district_progress("026", dt.date(2023, 12, 31)).status is PlanStatus.ON_TRACK
    assert view.district_progress("026", dt.date(2024, 1, 1)).status is PlanStatus.LATE
    # Without the list of units, the province is what the view has seen.
    assert view.province_progress(JUNE_2023).districts_total == 4
    # A district nobody has heard of.
    unknown = view.district_progress("035", JUNE_2023)
    assert (unknown.registers, unknown.completion_percent) == (0, 0.0)
    assert unknown.status is PlanStatus.NO_TARGET


def test_province_totals_sum_the_districts(workflow: Workflow) -> None:
    province = workflow.view.province_progress(JUNE_2023)
    totals = province.totals
    assert (totals.registers, totals.pages_scanned, totals.pages_expected) == (3, 5, 12)
    assert (totals.entries_keyed, totals.entries_published) == (10, 4)
    assert totals.entries_expected == 14
    # mean of 5/12 pages and 4/14 entries: 35.119… %
    assert province.completion_percent == 35.1


# ----- the demo ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_app() -> tuple[Digitisation, DemoSummary]:
    """The real demo (about 5 s to load), loaded once for the whole module."""
    app = signed_memory_app()
    return app, load_demo(app)


@pytest.fixture(scope="module", params=KINDS)
def demo(
    request: pytest.FixtureRequest,
    demo_app: tuple[Digitisation, DemoSummary],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Demo]:
    """The demo projected once per back-end, in one batch as a runner writes it."""
    app, summary = demo_app
    stores = read_stores(str(request.param), tmp_path_factory.mktemp("demo"))
    view = SqlProgressView(stores.database("demo_progress"))
    with view.batch():
        feed(app, DistrictProgressProjection(view))
    yield app, view, summary
    stores.close()


def test_the_demo_headline_follows_the_province_report(demo: Demo) -> None:
    app, view, _ = demo
    codes = [d.code for d in app.units.districts()]
    province = view.province_progress(JUNE_2023, districts=codes)
    assert EN.headline(province.headline()).startswith(
        "2 of 11 districts complete; 5 of the 9 remaining targeted for 2023"
    )
    assert EN.headline(view.headline(JUNE_2023)) == EN.headline(province.headline())
    assert VI.headline(view.headline(JUNE_2023)).startswith(
        "2/11 huyện đã hoàn thành; kế hoạch năm 2023: 5 trong 9 huyện còn lại"
    )
    assert province.year_plan(2024) == YearPlan(year=2024, remaining=9, targeted=4, targeted_done=0)
    for code in ("024", "034"):
        done = view.district_progress(code, JUNE_2023)
        assert done.completion_percent == 100.0
        assert done.status is PlanStatus.DONE
        assert done.pages_scanned == done.pages_expected > 0
        assert done.entries_published == done.entries_keyed == done.entries_expected > 0
    for code in ("030", "031", "032", "033", "035"):
        assert province.district(code).status is PlanStatus.ON_TRACK  # type: ignore[union-attr]
    late = view.province_progress(dt.date(2023, 12, 1), districts=codes)
    assert {d.district for d in late.districts if d.status is PlanStatus.LATE} == {
        "030",
        "031",
        "032",
        "033",
        "035",
    }


def test_the_demo_figures_match_the_event_store(demo: Demo) -> None:
    app, view, summary = demo
    province = view.province_progress(JUNE_2023)
    registers = [app.get_register(register_id) for register_id in app.register_ids()]
    assert province.totals.registers == summary.registers == len(registers)
    assert province.totals.pages_expected == sum(r.page_count for r in registers)
    assert province.totals.pages_scanned == sum(len(r.pages) for r in registers)
    assert province.totals.entries_expected == sum(r.estimated_entries for r in registers)
    assert province.totals.entries_keyed == summary.entries
    assert dict(province.totals.entries_by_status) == dict(summary.by_status)
