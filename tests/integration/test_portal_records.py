"""Portal records and record history, fed with real signed envelopes made by the application.

The application runs on an in-memory event store with the signed envelope mapper; every event
it records is opened from the notification log exactly as a runner would, and handed to the
projections with its notification id. The views are real SQLite files or PostgreSQL schemas.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pydantic_core
import pytest

from domain.actor import Actor, Role
from domain.personal_id import PersonalId
from domain.sex import Sex
from infra.read_store.history import SqlHistoryView
from infra.read_store.portal import SqlPortalView
from projections.envelope import Envelope
from projections.portal_answers import answer_document
from projections.portal_model import PortalRecord
from projections.portal_records import PortalRecordsProjection
from projections.record_history import RecordHistoryProjection
from tests.builders import (
    CLERK,
    CLERK_2,
    DONG_VAN_DECISION,
    VERIFIER,
    Decision,
    catalogue_book,
    correct,
    keyed,
    new_signer,
    published,
    signed_memory_app,
    upload_png,
)
from tests.integration.read_stores import ReadStores

SECOND_VERIFIER = Actor("verifier.026.2", Role.VERIFIER)

PO_ID = PersonalId.build(province_code=2, sex=Sex.MALE, birth_year=1990, serial=4711).value
MY_ID = PersonalId.build(province_code=2, sex=Sex.FEMALE, birth_year=1968, serial=815).value
PO = {
    "child.full_name": "Giàng Seo Pó",
    "child.sex": "nam",
    "child.birth_date": "12/03/1990",
    "child.birth_place": "Trạm y tế xã Lũng Cú",
    "child.ethnicity": "Mông",
    "child.personal_id": PO_ID,
    "registration_date": "01/04/1990",
    "mother.full_name": "Vừ Thị Mỷ",
    "mother.personal_id": MY_ID,
    "father.full_name": "Giàng Chứ Dình",
    "declarant.full_name": "Giàng Chứ Dình",
    "declarant.relationship": "cha",
    "notes": "Ghi chú của cán bộ nhập liệu: bản gốc bị nhòe góc phải",
}
# PO's cải chính: the child is a girl, and the personal ID was not hers
GIANG_THI_PO = {"child.full_name": "Giàng Thị Pó", "child.sex": "nữ", "child.personal_id": ""}


def birth(name: str, *, year: int = 1991, sex: str = "nữ", **more: str) -> dict[str, Any]:
    return {
        "child.full_name": name,
        "child.sex": sex,
        "child.birth_date": f"{year}",
        "registration_date": f"{year}-12",
        **more,
    }


class World:
    """The application, one birth book with three scanned pages, and the two views."""

    def __init__(self, home: Path, stores: ReadStores, views: str = "views") -> None:
        self.signer = new_signer()
        self.app = signed_memory_app(self.signer)
        self.home = home
        self.stores = stores
        self.portal, self.history = self.open_views(views)
        self.register = catalogue_book(self.app, "01").id
        self.scan_keys = {page: self.upload(page, shade=page * 20) for page in (1, 2, 3)}
        self.feed()

    def open_views(self, name: str) -> tuple[SqlPortalView, SqlHistoryView]:
        # both views in one database: they share the tracking table, each with its own row
        db = self.stores.database
        return SqlPortalView(db(name)), SqlHistoryView(db(name))

    def close(self) -> None:
        self.portal.close()
        self.history.close()

    # ----- the log --------------------------------------------------------------------------
    def envelopes(self) -> list[tuple[int, dict[str, Any]]]:
        notifications = self.app.recorder.select_notifications(start=1, limit=10_000)
        return [(n.id, self.app.mapper.open_envelope(n)) for n in notifications]

    def feed(
        self, portal: SqlPortalView | None = None, history: SqlHistoryView | None = None
    ) -> None:
        """Hand every event of the log to the projections (those already seen are ignored)."""
        portal_projection = PortalRecordsProjection(portal or self.portal)
        history_projection = RecordHistoryProjection(history or self.history)
        for position, data in self.envelopes():
            envelope = Envelope.from_json(data)
            portal_projection.process(envelope, position)
            history_projection.process(envelope, position)

    # ----- use cases ------------------------------------------------------------------------
    def upload(self, page: int, *, shade: int, rescan_reason: str | None = None) -> str:
        path = self.home / f"page-{page}-{shade}.png"
        result = upload_png(self.app, self.register, page, path, shade, rescan_reason=rescan_reason)
        assert result.recorded
        return result.object_key

    def key(self, number: int, fields: dict[str, Any], pages: list[int] | None = None) -> UUID:
        return keyed(self.app, self.register, number, fields, pages or [1])

    def check_and_verify(self, entry_id: UUID, second: dict[str, Any]) -> None:
        self.app.second_key_entry(actor=CLERK_2, entry_id=entry_id, fields=second)
        entry = self.app.get_entry(entry_id)
        if entry.discrepancies:  # the second keying is right, as the scan shows
            resolutions = {f: entry.second_keying[f] for f in entry.discrepancies}
            self.app.reconcile_entry(actor=VERIFIER, entry_id=entry_id, resolutions=resolutions)
        self.app.verify_entry(actor=VERIFIER, entry_id=entry_id)

    def publish(self, entry_id: UUID) -> None:
        self.app.publish_entry(actor=VERIFIER, entry_id=entry_id)

    def publish_new(
        self, number: int, fields: dict[str, Any], pages: list[int] | None = None
    ) -> UUID:
        entry_id = published(self.app, self.register, number, fields, pages or [1])
        self.feed()
        return entry_id

    def record(self, entry_id: UUID) -> PortalRecord:
        record = self.portal.get_record(entry_id)
        assert record is not None
        return record


@pytest.fixture
def world(tmp_path: Path, read_store: ReadStores) -> Iterator[World]:
    w = World(tmp_path, read_store)
    yield w
    w.close()


def names(records: list[PortalRecord]) -> list[str | None]:
    return [r.subject_name for r in records]


# ----- visibility ---------------------------------------------------------------------------
def test_an_entry_reaches_the_portal_only_when_published(world: World) -> None:
    mistyped = {**PO, "child.full_name": "Giàng Seo Pò"}  # the first keyer slipped
    entry_id = world.key(7, mistyped, pages=[2, 3])
    world.feed()
    assert world.portal.get_record(entry_id) is None

    world.check_and_verify(entry_id, PO)  # second keying differs; reconciled to "Giàng Seo Pó"
    world.feed()
    assert world.app.get_entry(entry_id).status == "verified"
    assert world.portal.get_record(entry_id) is None
    assert world.portal.find_by_personal_id(PO_ID) == []
    assert world.portal.search_by_name("giang seo po") == []
    assert world.portal.get_by_register_and_number(world.register, 7) is None

    world.publish(entry_id)
    world.feed()
    record = world.record(entry_id)
    published = [d for _, d in world.envelopes() if d["event_type"].endswith("EntryPublished")]
    assert record.subject_name == "Giàng Seo Pó"
    assert record.fields["child.full_name"] == "Giàng Seo Pó"
    assert record.fields["child.birth_place"] == "Trạm y tế xã Lũng Cú"
    assert record.fields["declarant.relationship"] == "cha"
    assert "notes" not in record.fields
    assert record.fields == {
        k: v for k, v in world.app.get_entry(entry_id).published_fields.items() if k != "notes"
    }
    assert record.search_key == "giang seo po"
    assert record.accent_key == "giàng seo pó"
    assert record.other_names == ("Vừ Thị Mỷ", "Giàng Chứ Dình")
    assert set(record.personal_ids) == {PO_ID, MY_ID}
    assert record.subject_personal_id == PO_ID
    assert (record.birth_year, record.birth_month, record.birth_day) == (1990, 3, 12)
    assert record.sex == "male"
    assert (record.kind, record.book_number, record.year_from, record.year_to) == (
        "birth",
        "01",
        1990,
        1992,
    )
    assert (record.district, record.commune_code, record.entry_number) == ("026", "00718", 7)
    assert record.pages == (2, 3)
    assert record.scan_keys == (world.scan_keys[2], world.scan_keys[3])
    assert record.published_at.isoformat() == published[0]["occurred_at"]
    assert record.published_version == published[0]["version"]
    assert record.publication_count == 1

    assert world.portal.find_by_personal_id(PO_ID) == [record]
    assert world.portal.find_by_personal_id("002 090 004 711") == [record]
    assert world.portal.find_by_personal_id(MY_ID) == [record]  # the mother's ID finds it too
    assert world.portal.find_by_personal_id("002090009999") == []
    assert world.portal.find_by_personal_id("not an id") == []
    assert world.portal.get_by_register_and_number(world.register, 7) == record
    assert world.portal.get_by_register_and_number(world.register, 8) is None
    assert world.portal.search_by_name("giang seo po") == [record]


def test_records_about_a_person_come_before_records_naming_them(world: World) -> None:
    mother = world.publish_new(
        1, birth("Vừ Thị Mỷ", year=1968, **{"child.personal_id": MY_ID}), pages=[1]
    )
    child = world.publish_new(2, PO, pages=[2])
    assert [r.id for r in world.portal.find_by_personal_id(MY_ID)] == [mother, child]
    assert [r.id for r in world.portal.search_by_name("vu thi my")] == [mother, child]


# ----- name search --------------------------------------------------------------------------
def test_name_search_ignores_case_diacritics_nfd_and_tone_placement(world: World) -> None:
    po = world.publish_new(1, PO)
    hoa = world.publish_new(2, birth("Nguyễn Thị Hoà"))
    nfd = unicodedata.normalize("NFD", "Giàng Seo Pó")
    assert nfd != "Giàng Seo Pó"
    for query in ("giang seo po", "Giàng Seo Pó", nfd, "GIÀNG SEO PÓ", "  giang   SEO po "):
        assert [r.id for r in world.portal.search_by_name(query)] == [po], query
    for query in (
        "Nguyễn Thị Hòa",
        "Nguyễn Thị Hoà",
        unicodedata.normalize("NFD", "nguyễn thị hòa"),
    ):
        assert [r.id for r in world.portal.search_by_name(query)] == [hoa], query
    assert [r.id for r in world.portal.search_by_name("nguyen thi hoa")] == [hoa]
    assert world.portal.search_by_name("") == []
    assert world.portal.search_by_name("nguyen", limit=0) == []
    assert world.portal.search_by_name("Lò Văn") == []


def test_name_search_ranks_exact_then_accent_then_prefix_then_contains(world: World) -> None:
    contains_subject = world.publish_new(1, birth("Sùng Lò Văn Hoà", year=1990, sex="nam"))
    prefix_other = world.publish_new(
        2, birth("Lò Thị Mai", **{"father.full_name": "Lò Văn Hoàng Anh"})
    )
    prefix_subject = world.publish_new(3, birth("Lò Văn Hoàng", year=1990, sex="nam"))
    folded_exact = world.publish_new(4, birth("Lò Văn Hóa", year=1990, sex="nam"))
    accent_exact = world.publish_new(5, birth("Lò Văn Hoà", year=1990, sex="nam"))
    exact_other = world.publish_new(6, birth("Lò Thị Phương", **{"father.full_name": "Lò Văn Hoà"}))
    mid_word = world.publish_new(7, birth("Vàng Thị Plò Văn Hoa"))  # "lo van hoa" inside a word
    world.publish_new(8, birth("Lò Thị Dung"))  # no match

    ranked = [r.id for r in world.portal.search_by_name("Lò Văn Hòa")]
    assert ranked == [
        accent_exact,  # accent key equal (hòa/hoà), the subject
        exact_other,  # accent key equal, the father
        folded_exact,  # "Hóa": the same once folded
        prefix_subject,
        prefix_other,
        contains_subject,  # at the start of a word
        mid_word,  # anywhere
    ]
    assert [r.id for r in world.portal.search_by_name("Lò Văn Hòa", limit=3)] == ranked[:3]
    # without diacritics every folded-exact match is in one tier: the subjects first
    plain = [r.id for r in world.portal.search_by_name("lo van hoa")]
    assert plain[:3] == [folded_exact, accent_exact, exact_other]  # then by book and number
    assert plain[3:] == ranked[3:]


def test_vietnamese_names_are_kept_exactly_and_found_by_prefix_and_inside(world: World) -> None:
    duc = world.publish_new(
        1, birth("Đặng Văn Đức", sex="nam", **{"mother.full_name": "Nguyễn Thị Ánh Nguyệt"})
    )
    anh = world.publish_new(2, birth("Hoàng Thị Ngọc Ánh"))
    dang = world.publish_new(3, birth("Đặng Thị Ánh"))
    nfd = world.publish_new(4, birth(unicodedata.normalize("NFD", "Đỗ Thị Ánh Dương")))
    record = world.record(duc)
    assert record.subject_name == "Đặng Văn Đức"
    assert record.other_names == ("Nguyễn Thị Ánh Nguyệt",)
    assert (record.search_key, record.accent_key) == ("dang van duc", "đặng văn đức")
    assert world.record(nfd).search_key == "do thi anh duong"

    def found(query: str) -> list[UUID]:
        return [r.id for r in world.portal.search_by_name(query)]

    assert found("ĐẶNG") == [dang, duc]  # the start of the names, by subject's folded name
    assert found("dang v") == [duc]
    assert found("Đặng Thị Ánh") == [dang]  # exact, ahead of "Đặng Thị Ánh ..." (none)
    # inside, at the start of a word: subjects (by folded name), then the mother
    assert found("ánh") == [dang, nfd, anh, duc]
    assert found("nguyet") == [duc]  # the mother's name, at the start of a word
    assert found("uyệt") == [duc]  # anywhere in a word
    assert found("Ánh Dương") == [nfd]
    assert found("thi anh") == [dang, nfd, duc]


def test_text_compares_by_code_point_on_every_back_end(read_store: ReadStores) -> None:
    """The prefix range ``[q, q + U+10FFFF)`` and ORDER BY need code-point order, whatever the
    PostgreSQL database's locale: every text column of a view is ``COLLATE "C"`` there."""
    SqlPortalView(read_store.database("collation"))
    if read_store.backend.url is None:
        return  # SQLite's BINARY collation is code-point order
    with psycopg.connect(read_store.backend.url) as pg:
        collations = pg.execute(
            "SELECT DISTINCT collation_name FROM information_schema.columns "
            "WHERE table_schema = 'collation' AND data_type = 'text'"
        ).fetchall()
        assert collations == [("C",)]
        upper = "\U0010ffff"
        assert pg.execute(
            'SELECT %s < %s COLLATE "C", %s < %s COLLATE "C"',
            ("lo van hoang", "lo van hoa" + upper, "Z", "a"),
        ).fetchone() == (True, True)


# ----- corrections --------------------------------------------------------------------------
def test_a_cai_chinh_reaches_the_portal_only_once_verified_and_published(world: World) -> None:
    entry_id = world.publish_new(7, PO, pages=[2, 3])
    before = world.record(entry_id)

    why = "Cải chính giới tính và họ tên theo quyết định"
    correct(world.app, entry_id, GIANG_THI_PO, why, DONG_VAN_DECISION)
    world.feed()
    assert world.record(entry_id) == before  # corrected, not verified: the portal is unchanged

    world.app.verify_entry(actor=VERIFIER, entry_id=entry_id)
    world.feed()
    assert world.record(entry_id) == before  # verified, not yet published
    assert_answer_holds_the_history_up_to_publication(world, entry_id)

    world.publish(entry_id)
    world.feed()
    after = world.record(entry_id)
    assert after.subject_name == "Giàng Thị Pó"
    assert after.fields["child.sex"] == "female"
    assert after.sex == "female"
    assert "child.personal_id" not in after.fields
    assert after.personal_ids == (MY_ID,)
    assert after.fields == {
        k: v for k, v in world.app.get_entry(entry_id).published_fields.items() if k != "notes"
    }
    assert after.publication_count == 2
    assert after.published_at > before.published_at
    assert after.published_version > before.published_version
    assert after.scan_keys == before.scan_keys
    assert world.portal.find_by_personal_id(PO_ID) == []
    assert world.portal.search_by_name("giang thi po") == [after]
    assert [r.id for r in world.portal.search_by_name("giang seo po")] == []
    assert world.portal.get_by_register_and_number(world.register, 7) == after
    assert_answer_holds_the_history_up_to_publication(world, entry_id)


def assert_answer_holds_the_history_up_to_publication(world: World, entry_id: UUID) -> None:
    """The answer the portal keeps is the record, with the provenance the record history
    gives of it: every event up to the published version (a pending correction is not)."""
    record = world.record(entry_id)
    answer = world.portal.get_answer(entry_id)
    assert answer is not None
    document = json.loads(answer.document)
    assert document == json.loads(pydantic_core.to_json(answer_document(record)))
    history = [h for h in world.history.history(entry_id) if h.version <= record.published_version]
    assert len(history) < len(world.history.history(entry_id)) or record.publication_count > 1
    assert document["provenance"] == [
        {
            "version": h.version,
            "event_type": h.event_type,
            "actor": {"id": h.actor_id, "role": h.actor_role},
            "occurred_at": h.occurred_at.isoformat().replace("+00:00", "Z"),
            "hash": h.hash,
            "key_id": h.key_id,
        }
        for h in history
    ]
    assert [s.object_key for s in answer.scans] == list(record.scan_keys)


def test_a_rejected_correction_leaves_the_published_record_unchanged(world: World) -> None:
    entry_id = world.publish_new(7, PO)
    before = world.record(entry_id)

    correct(world.app, entry_id, {"child.birth_place": "Nhà riêng"}, "Nhập sai nơi sinh")
    world.feed()
    world.app.reject_entry(actor=VERIFIER, entry_id=entry_id, reason="Bản quét ghi trạm y tế")
    world.feed()
    assert world.app.get_entry(entry_id).status == "published"
    assert world.record(entry_id) == before

    # a later correction starts from the published fields, not from the rejected one
    correct(world.app, entry_id, {"child.ethnicity": "H'Mông"}, "Nhập sai dân tộc")
    world.app.verify_entry(actor=VERIFIER, entry_id=entry_id)
    world.publish(entry_id)
    world.feed()
    after = world.record(entry_id)
    assert after.fields["child.ethnicity"] == "H'Mông"
    assert after.fields["child.birth_place"] == "Trạm y tế xã Lũng Cú"
    assert after.publication_count == 2


def test_a_rejected_and_rekeyed_entry_publishes_what_was_keyed_again(world: World) -> None:
    entry_id = world.key(9, birth("Thào Mí Sính", year=1990, sex="nam"), pages=[1])
    world.app.reject_entry(actor=VERIFIER, entry_id=entry_id, reason="Sai trang")
    world.feed()
    fields = birth("Thào Mí Sính", year=1991, sex="nam")
    world.app.rekey_entry(actor=CLERK, entry_id=entry_id, pages=[3], fields=fields)
    world.check_and_verify(entry_id, fields)
    world.publish(entry_id)
    world.feed()
    record = world.record(entry_id)
    assert (record.birth_year, record.pages, record.scan_keys) == (
        1991,
        (3,),
        (world.scan_keys[3],),
    )


def test_a_rescanned_page_gives_published_records_its_new_scan(world: World) -> None:
    on_page = world.publish_new(1, PO, pages=[2, 3])
    elsewhere = world.publish_new(2, birth("Lò Thị Mai"), pages=[1])
    new_key = world.upload(3, shade=200, rescan_reason="Ảnh mờ, quét lại")
    world.feed()
    assert world.record(on_page).scan_keys == (world.scan_keys[2], new_key)
    assert world.record(elsewhere).scan_keys == (world.scan_keys[1],)
    # a page scanned after publication is added to the records that lie on it
    late = world.publish_new(3, birth("Lò Thị Hoa"), pages=[4])
    assert world.record(late).scan_keys == ()
    key4 = world.upload(4, shade=140)
    world.feed()
    assert world.record(late).scan_keys == (key4,)


# ----- exactly once, and rebuilding ---------------------------------------------------------
def run_everything(world: World) -> dict[str, UUID]:
    """Every kind of step, feeding the projections after each (the incremental view)."""
    ids = {"published": world.publish_new(1, PO, pages=[2, 3])}
    ids["verified_only"] = world.key(2, birth("Lò Thị Mai"))
    world.check_and_verify(ids["verified_only"], birth("Lò Thị Mai"))
    world.feed()
    ids["corrected"] = world.publish_new(3, birth("Nguyễn Thị Hoà"))
    decision = Decision("7/QĐ", "2021", "UBND xã Lũng Cú")
    hoa_binh = {"child.full_name": "Nguyễn Thị Hòa Bình"}
    correct(world.app, ids["corrected"], hoa_binh, "Cải chính họ tên", decision)
    world.feed()
    world.app.verify_entry(actor=SECOND_VERIFIER, entry_id=ids["corrected"])
    world.feed()
    world.publish(ids["corrected"])
    world.feed()
    ids["correction_rejected"] = world.publish_new(4, birth("Vàng Thị Dợ"))
    correct(world.app, ids["correction_rejected"], {"child.full_name": "Vàng Thị Dở"}, "?")
    world.feed()
    world.app.reject_entry(actor=VERIFIER, entry_id=ids["correction_rejected"], reason="Đúng rồi")
    world.feed()
    world.upload(2, shade=99, rescan_reason="Quét lại")
    world.feed()
    ids["keyed_only"] = world.key(5, birth("Hầu A Lử", sex="nam"))
    world.feed()
    return ids


def test_redelivering_every_event_changes_nothing(world: World) -> None:
    ids = run_everything(world)
    before = world.stores.dump("views")
    records = {name: world.portal.get_record(i) for name, i in ids.items()}
    assert records["verified_only"] is None
    assert records["keyed_only"] is None
    assert records["published"] is not None

    world.feed()  # the same projections again
    world.feed(*world.open_views("views"))  # new projections and views on the same database
    assert world.stores.dump("views") == before
    assert {name: world.portal.get_record(i) for name, i in ids.items()} == records
    assert world.portal.position() == world.envelopes()[-1][0]
    assert world.history.position() == world.envelopes()[-1][0]


def test_an_event_seen_again_under_a_later_position_changes_nothing(world: World) -> None:
    """A relay that replays the log under new positions: each aggregate's version guards it."""
    run_everything(world)
    before = world.stores.dump("views")
    portal = PortalRecordsProjection(world.portal)
    history = RecordHistoryProjection(world.history)
    last = world.envelopes()[-1][0]
    for position, data in world.envelopes():
        portal.process(Envelope.from_json(data), last + position)
        history.process(Envelope.from_json(data), last + position)
    after = world.stores.dump("views")
    assert after.pop("tracking") != before.pop("tracking")  # only the positions moved on
    assert after == before


def test_a_view_rebuilt_from_scratch_equals_the_incremental_one(world: World) -> None:
    ids = run_everything(world)
    portal, history = world.open_views("rebuilt")
    try:
        world.feed(portal, history)  # every event at once into empty views
        assert world.stores.dump("rebuilt") == world.stores.dump("views")
        for entry_id in ids.values():
            assert portal.get_record(entry_id) == world.portal.get_record(entry_id)
            assert history.history(entry_id) == world.history.history(entry_id)
        assert portal.search_by_name("thi") == world.portal.search_by_name("thi")
    finally:
        portal.close()
        history.close()


# ----- history ------------------------------------------------------------------------------
def test_history_lists_every_event_of_an_entry_in_order(world: World) -> None:
    ids = run_everything(world)
    for entry_id in ids.values():
        expected = sorted(
            (d for _, d in world.envelopes() if d["aggregate_id"] == str(entry_id)),
            key=lambda d: int(d["version"]),
        )
        history = world.history.history(entry_id)
        assert [h.version for h in history] == list(range(1, len(expected) + 1))
        assert [h.event_type for h in history] == [d["event_type"] for d in expected]
        assert [h.hash for h in history] == [d["hash"] for d in expected]
        assert [(h.actor_id, h.actor_role) for h in history] == [
            (d["actor"]["id"], d["actor"]["role"]) for d in expected
        ]
        assert [h.occurred_at.isoformat() for h in history] == [d["occurred_at"] for d in expected]
        assert {h.key_id for h in history} == {world.signer.key_id}
    corrected = [h.name for h in world.history.history(ids["corrected"])]
    assert corrected == [
        "EntryKeyed",
        "EntrySecondKeyed",
        "EntryVerified",
        "EntryPublished",
        "EntryCorrected",
        "EntryVerified",
        "EntryPublished",
    ]
    assert world.history.history(world.register) == []  # books are not entries
    assert world.history.history(UUID(int=0)) == []


# ----- readers ------------------------------------------------------------------------------
def test_readers_in_other_threads_see_whole_saves(world: World) -> None:
    entry_id = world.publish_new(1, PO)
    record = world.record(entry_id)
    seen: list[PortalRecord | None] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(50):
                seen.append(world.portal.get_record(entry_id))
                assert world.portal.search_by_name("giang seo po")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    for number in range(2, 6):
        world.publish_new(number, birth(f"Lò Thị Mai {chr(ord('A') + number)}"))
    for t in readers:
        t.join()
    assert errors == []
    assert seen == [record] * 200
