"""The portal's API on fakes: cursors and paging, filters handed to the read model, district
scopes, roles, problem responses, and the audit written before any answer."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast
from uuid import UUID, uuid5

import httpx
import pydantic_core
import pytest
from fastapi import FastAPI

from api.cursor import decode_cursor, encode_cursor, fingerprint
from api.deps import Services
from api.main import create_app
from api.schemas import PortalRecordPage, PortalRecordPublic
from domain.access import User
from domain.actor import Role
from domain.errors import InvalidValueError
from domain.person_name import fold
from projections.portal_answers import PortalAnswer, answer_document
from projections.portal_audit import AuditFilter, AuditKey, AuditUnavailableError, PortalRead
from projections.portal_model import PageScan, PortalRecord, Provenance
from projections.portal_queries import (
    AnswerPage,
    IdAnswer,
    IdHit,
    IdKey,
    NameAnswer,
    NameHit,
    NameKey,
    NamePage,
    RecordFilter,
)
from projections.positions import Positions
from projections.record_history import HistoryItem

PROBLEM = "application/problem+json"
BOOK = UUID("6f1c2b0e-8d44-4d4e-9a0b-0c7f5e2a9b11")
OTHER_BOOK = UUID("0b7e3d55-2f1a-4c86-8e3b-5d9a7c1e4f22")
PID = "002090004711"
USERS = {
    "portal": User("portal.dvc", "Cổng DVC", Role.PORTAL, frozenset({"*"})),
    "portal-026": User("portal.026", "Cổng DVC huyện", Role.PORTAL, frozenset({"026"})),
    "admin": User("admin.tinh", "Quản trị", Role.ADMIN, frozenset({"*"})),
    "manager": User("manager.tinh", "Quản lý", Role.MANAGER, frozenset({"*"})),
}
PUBLISHED = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)
EVENTS = (  # version 7: a correction pending, not published
    Provenance(1, "CivilRecord.EntryKeyed", "clerk.026.1", "clerk", PUBLISHED, f"{1:064x}", "k1"),
    Provenance(6, "CivilRecord.EntryPublished", "verifier.026", "verifier", PUBLISHED, "6", "k1"),
    Provenance(7, "CivilRecord.EntryCorrected", "clerk.026.1", "clerk", PUBLISHED, "7", "k1"),
)


def record(
    number: int,
    name: str,
    *,
    book: UUID = BOOK,
    district: str = "026",
    ids: tuple[str, ...] = (),
    subject_id: str | None = None,
) -> PortalRecord:
    return PortalRecord(
        id=uuid5(book, str(number)),
        register_id=book,
        district=district,
        commune_code="00718",
        kind="birth",
        book_number="01",
        year_from=1990,
        year_to=1992,
        entry_number=number,
        fields={"child.full_name": name},
        subject_name=name,
        search_key=fold(name),
        accent_key=name.lower(),
        other_names=(),
        personal_ids=ids,
        subject_personal_id=subject_id,
        birth_year=1990,
        birth_month=3,
        birth_day=12,
        birth_date_lunar=False,
        sex="male",
        pages=(1,),
        scans=(PageScan(book, 1, f"scans/{district}/{book}/abc.png", "ab" * 32, "image/png", 9),),
        published_at=PUBLISHED,
        published_version=6,
        publication_count=1,
        provenance=tuple(p for p in EVENTS if p.version <= 6),  # as the projection keeps it
    )


def answer(r: PortalRecord) -> PortalAnswer:
    """The record as the portal view stores its answer."""
    return PortalAnswer(r.id, r.district, pydantic_core.to_json(answer_document(r)), r.scans)


class FakePortal:
    """Published records in a list; name matches are whole folded names (rank 0)."""

    def __init__(self, records: list[PortalRecord]) -> None:
        self.records = records
        self.filters: list[RecordFilter] = []

    def _visible(self, r: PortalRecord, where: RecordFilter) -> bool:
        self.filters.append(where)
        return (where.districts is None or r.district in where.districts) and (
            where.district is None or r.district == where.district
        )

    def get_record(self, entry_id: UUID) -> PortalRecord | None:
        return next((r for r in self.records if r.id == entry_id), None)

    def get_by_register_and_number(self, register_id: UUID, number: int) -> PortalRecord | None:
        found = (
            r for r in self.records if (r.register_id, r.entry_number) == (register_id, number)
        )
        return next(found, None)

    def find_by_personal_id_page(
        self, personal_id: str, *, where: RecordFilter, after: IdKey | None, limit: int
    ) -> list[IdHit]:
        hits = sorted(
            (
                IdHit(
                    IdKey(
                        int(r.subject_personal_id == personal_id),
                        str(r.register_id),
                        r.entry_number,
                    ),
                    r,
                )
                for r in self.records
                if personal_id in r.personal_ids and self._visible(r, where)
            ),
            key=lambda h: (-h.key.is_subject, h.key.register_id, h.key.entry_number),
        )
        if after is not None:
            start = (-after.is_subject, after.register_id, after.entry_number)
            hits = [h for h in hits if (-h.key[0], *h.key[1:]) > start]
        return hits[:limit]

    def search_by_name_page(
        self, query: str, *, where: RecordFilter, after: NameKey | None, limit: int
    ) -> NamePage:
        hits = sorted(
            NameHit(
                NameKey(0, fold(query), r.search_key or "", str(r.register_id), r.entry_number), r
            )
            for r in self.records
            if r.search_key == fold(query) and self._visible(r, where)
        )
        hits = [h for h in hits if after is None or h.key > after]
        return NamePage(hits[:limit], hits[limit - 1].key if len(hits) > limit else None)


class FakeAnswers(FakePortal):
    """The fake's records as answered."""

    def get_answer(self, entry_id: UUID) -> PortalAnswer | None:
        found = self.get_record(entry_id)
        return answer(found) if found is not None else None

    def get_answer_by_register_and_number(
        self, register_id: UUID, number: int
    ) -> PortalAnswer | None:
        found = self.get_by_register_and_number(register_id, number)
        return answer(found) if found is not None else None

    def find_answers_by_personal_id_page(
        self, personal_id: str, *, where: RecordFilter, after: IdKey | None, limit: int
    ) -> list[IdAnswer]:
        hits = self.find_by_personal_id_page(personal_id, where=where, after=after, limit=limit)
        return [IdAnswer(h.key, answer(h.record)) for h in hits]

    def search_answers_page(
        self, query: str, *, where: RecordFilter, after: NameKey | None, limit: int
    ) -> AnswerPage:
        page = self.search_by_name_page(query, where=where, after=after, limit=limit)
        return AnswerPage([NameAnswer(h.key, answer(h.record)) for h in page.hits], page.next)


class FakeHistory:
    def histories(self, entry_ids: list[UUID]) -> dict[UUID, list[HistoryItem]]:
        def item(entry_id: UUID, version: int, name: str) -> HistoryItem:
            return HistoryItem(
                version, f"CivilRecord.{name}", "clerk.026.1", "clerk", PUBLISHED,
                f"{version:064x}", "0123456789abcdef", entry_id,
            )  # fmt: skip

        return {
            i: [
                item(i, 1, "EntryKeyed"),
                item(i, 6, "EntryPublished"),
                item(i, 7, "EntryCorrected"),
            ]
            for i in entry_ids
        }


class RecordingAudit:
    def __init__(self) -> None:
        self.reads: list[PortalRead] = []
        self.broken = False

    def record(self, read: PortalRead) -> None:
        if self.broken:
            raise AuditUnavailableError("the portal audit could not be written: disk I/O error")
        self.reads.append(read)

    def list_reads(
        self, where: AuditFilter, *, after: AuditKey | None, limit: int
    ) -> list[tuple[AuditKey, PortalRead]]:
        found = sorted(
            ((AuditKey(r.at.isoformat(), r.request_id), r) for r in self.reads),
            reverse=True,
        )
        found = [
            (k, r)
            for k, r in found
            if (where.actor is None or r.actor_id == where.actor)
            and (where.record is None or where.record in r.record_ids)
            and (after is None or k < after)
        ]
        return found[:limit]


class FakeBlobs:
    def presigned_get(self, key: str, expires: dt.timedelta) -> str:
        return f"/scans/{key}?expires=1&signature=x"


class FakeApp:
    blobs = FakeBlobs()


class FixedUsers:
    def authenticate(self, token: str) -> User | None:
        return USERS.get(token)


class Portal:
    """The app with its fakes, and a client for one user at a time."""

    def __init__(self, records: list[PortalRecord]) -> None:
        self.portal = FakeAnswers(records)
        self.audit = RecordingAudit()
        services = Services(
            app=cast(Any, FakeApp()),
            catalogue=cast(Any, None),
            public_keys=lambda: {"format": "hotich.keys/1", "keys": []},
            users=FixedUsers(),
            once=cast(Any, None),
            progress=cast(Any, None),
            positions=lambda: Positions(log_head=0, relay=None, views={}, quarantined=0),
            portal=self.portal,
            history=FakeHistory(),
            portal_audit=self.audit,
            envelopes=lambda entry_id, up_to: [],
        )
        self.api: FastAPI = create_app(services)

    def get(self, path: str, user: str = "portal", **params: Any) -> httpx.Response:
        """One request to the app in this process, no server, on a thread of its own (so it
        works while another test's event loop runs in this thread, as Playwright's does)."""

        async def request() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.api)
            async with httpx.AsyncClient(transport=transport, base_url="http://hotich") as c:
                headers = {"Authorization": f"Bearer {user}"}
                return await c.get(path, params=params, headers=headers)

        with ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, request()).result()


@pytest.fixture
def portal() -> Portal:
    return Portal(
        [
            record(1, "Giàng Seo Pó", ids=(PID,)),
            record(2, "Vừ Thị Mỷ", ids=(PID, "002168000815"), subject_id="002168000815"),
            record(3, "Giàng Seo Pó", ids=(PID,), subject_id=PID),
            record(4, "Giàng Seo Pó", book=OTHER_BOOK, ids=(PID,)),
            record(5, "Giàng Seo Pó", district="027", ids=(PID,)),
        ]
    )


def errors(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.headers["content-type"] == PROBLEM
    return [(e["field"], e["rule"]) for e in response.json()["errors"]]


# ----- cursors --------------------------------------------------------------------------------
def test_a_cursor_gives_back_its_key_for_the_same_query_only() -> None:
    digest = fingerprint({"q": "giang seo po"})
    cursor = encode_cursor(digest, [4, "giang seo po", str(BOOK), 7])
    assert "=" not in cursor
    assert decode_cursor(cursor, digest, (int, str, str, int)) == [4, "giang seo po", str(BOOK), 7]
    with pytest.raises(InvalidValueError, match="belongs to another query") as other:
        decode_cursor(cursor, fingerprint({"q": "vu thi my"}), (int, str, str, int))
    assert other.value.field == "cursor"
    for broken in (
        "%%%",
        "bm90IGpzb24",
        "ção",
        encode_cursor(digest, [True, "x", "y", 1]),
        encode_cursor(digest, [10**30, "x", "y", 1]),
        encode_cursor(digest, [1, "x", "y"]),
    ):
        with pytest.raises(InvalidValueError, match="not a cursor"):
            decode_cursor(broken, digest, (int, str, str, int))


# ----- paging -------------------------------------------------------------------------------
def test_personal_id_pages_hold_every_record_once_the_holders_first(portal: Portal) -> None:
    seen: list[int] = []
    params: dict[str, Any] = {"personal_id": "002 090 004 711", "limit": 2}
    while True:
        page = portal.get("/portal/records", **params)
        assert page.status_code == 200, page.text
        seen += [item["entry_number"] for item in page.json()["items"]]
        if page.json()["next"] is None:
            break
        params["cursor"] = page.json()["next"]
    assert seen[0] == 3  # about the holder
    assert sorted(seen) == [1, 2, 3, 4, 5]


def test_name_search_pages_follow_the_read_models_order(portal: Portal) -> None:
    first = portal.get("/portal/records/search", q="GIÀNG seo po", limit=3).json()
    # the accents rank exact matches (hòa before hóa): a page goes on with the same text
    second = portal.get(
        "/portal/records/search", q="GIÀNG seo po", limit=3, cursor=first["next"]
    ).json()
    numbers = [i["entry_number"] for p in (first, second) for i in p["items"]]
    assert numbers == [4, 1, 3, 5]  # book, then number
    assert second["next"] is None


def test_a_cursor_of_another_search_is_refused_naming_the_field(portal: Portal) -> None:
    first = portal.get("/portal/records/search", q="giang seo po", limit=1).json()
    other = portal.get("/portal/records/search", q="giang seo po", sex="nữ", cursor=first["next"])
    assert other.status_code == 422
    assert errors(other) == [
        ("cursor", "belongs to another query: send the same parameters as the first page")
    ]
    garbage = portal.get("/portal/records", personal_id=PID, cursor="not-a-cursor")
    assert errors(garbage) == [("cursor", "is not a cursor this API gave out")]


# ----- filters and rejections ---------------------------------------------------------------
def test_filters_reach_the_read_model_parsed(portal: Portal) -> None:
    response = portal.get(
        "/portal/records/search",
        q="giang seo po",
        birth_date="12/03/1990",
        sex="Nam",
        kind="birth",
        district="026",
        commune="00718",
    )
    assert response.status_code == 200, response.text
    assert portal.portal.filters[-1] == RecordFilter(
        birth_year=1990,
        birth_month=3,
        birth_day=12,
        birth_lunar=False,
        sex="male",
        kind="birth",
        district="026",
        commune="00718",
        districts=None,
    )
    assert [i["entry_number"] for i in response.json()["items"]] == [4, 1, 3]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "giang", "limit": 101}, "limit"),
        ({"q": "giang", "limit": 0}, "limit"),
        ({"q": "!!! ---"}, "q"),
        ({"q": ""}, "q"),
        ({"q": "giang", "birth_date": "31/02/1990"}, "birth_date"),
        ({"q": "giang", "birth_date": "1990-03", "birth_year": 1991}, "birth_year"),
        ({"q": "giang", "sex": "x"}, "sex"),
        ({"q": "giang", "kind": "baptism"}, "kind"),
        ({"q": "giang", "district": "26"}, "district"),
        ({"q": "giang", "commune": "718"}, "commune"),
        ({"q": "giang\x00"}, "q"),  # PostgreSQL cannot hold NUL in text
        ({"q": "x" * 121}, "q"),
        ({}, "q"),
    ],
)
def test_bad_search_parameters_are_refused_naming_the_field(
    portal: Portal, params: dict[str, Any], field: str
) -> None:
    response = portal.get("/portal/records/search", **params)
    assert response.status_code == 422
    assert [f for f, _ in errors(response)] == [field]
    assert portal.audit.reads == []


def test_a_malformed_personal_id_is_refused_naming_the_field(portal: Portal) -> None:
    response = portal.get("/portal/records", personal_id="0020900047")
    assert response.status_code == 422
    assert [f for f, _ in errors(response)] == ["personal_id"]


# ----- roles and districts ------------------------------------------------------------------
def test_only_the_portal_and_admins_read_the_portal(portal: Portal) -> None:
    entry = record(1, "Giàng Seo Pó").id
    assert portal.get(f"/portal/records/{entry}", user="admin").status_code == 200
    denied = portal.get(f"/portal/records/{entry}", user="manager")
    assert denied.status_code == 403
    assert denied.headers["content-type"] == PROBLEM
    assert denied.json()["detail"] == "role manager may not portal_read"
    assert portal.get(f"/portal/records/{entry}", user="nobody").status_code == 401


def test_a_district_portal_user_sees_only_its_districts(portal: Portal) -> None:
    found = portal.get("/portal/records", user="portal-026", personal_id=PID).json()["items"]
    assert {i["district"] for i in found} == {"026"}
    assert portal.portal.filters[-1].districts == frozenset({"026"})
    outside = record(5, "Giàng Seo Pó", district="027").id  # as if there were none
    assert portal.get(f"/portal/records/{outside}", user="portal-026").status_code == 404
    other = portal.get("/portal/records/search", user="portal-026", q="po", district="027")
    assert other.status_code == 403


# ----- one record, provenance, links ----------------------------------------------------------
def test_a_record_carries_its_provenance_up_to_the_published_version_and_links(
    portal: Portal,
) -> None:
    body = portal.get(f"/portal/registers/{BOOK}/entries/3").json()
    assert body["subject_personal_id"] == PID
    assert [(e["version"], e["event_type"]) for e in body["provenance"]] == [
        (1, "CivilRecord.EntryKeyed"),
        (6, "CivilRecord.EntryPublished"),  # the pending correction (7) is not shown
    ]
    assert body["provenance"][0]["actor"] == {"id": "clerk.026.1", "role": "clerk"}
    assert body["pages"][0]["view_url"].startswith("/scans/scans/026/")
    missing = portal.get(f"/portal/registers/{BOOK}/entries/99")
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"no published record with id 99 in register {BOOK}"


def test_every_answer_is_what_its_response_model_writes(portal: Portal) -> None:
    """Answers are built as dicts and encoded as they are: each must be exactly what the
    documented model (api/schemas.py) gives when it validates and writes it again."""
    answers = {
        PortalRecordPage: [
            portal.get("/portal/records/search", q="Giàng Seo Pó", limit=2),
            portal.get("/portal/records", personal_id=PID),
        ],
        PortalRecordPublic: [
            portal.get(f"/portal/registers/{BOOK}/entries/3"),
            portal.get(f"/portal/records/{record(2, 'Vừ Thị Mỷ').id}"),
        ],
    }
    for model, responses in answers.items():
        for response in responses:
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/json"
            assert model.model_validate_json(response.content).model_dump_json() == response.text


# ----- audit ----------------------------------------------------------------------------------
def test_every_read_is_audited_with_its_query_and_the_records_returned(portal: Portal) -> None:
    portal.get("/portal/records/search", q="Giàng Seo Pó", limit=2)
    entry = record(2, "Vừ Thị Mỷ").id
    portal.get(f"/portal/records/{entry}")
    portal.get(f"/portal/records/{uuid5(BOOK, 'none')}")
    search, one, missing = portal.audit.reads
    assert (search.actor_id, search.actor_role, search.action) == (
        "portal.dvc",
        "portal",
        "search_by_name",
    )
    assert search.query == {"q": "Giàng Seo Pó", "limit": 2}
    assert search.record_ids == (record(4, "x", book=OTHER_BOOK).id, record(1, "x").id)
    assert (one.action, one.record_ids) == ("get_record", (entry,))
    assert missing.record_ids == ()


def test_no_answer_without_its_audit(portal: Portal) -> None:
    portal.audit.broken = True
    response = portal.get("/portal/records", personal_id=PID)
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/audit-unavailable")
    assert "items" not in response.json()


def test_admins_page_through_the_audit_and_others_may_not(portal: Portal) -> None:
    for _ in range(3):
        portal.get("/portal/records", personal_id=PID, limit=1)
    portal.get("/portal/records/search", user="admin", q="vu thi my")
    first = portal.get("/audit/portal", user="admin", actor="portal.dvc", limit=2).json()
    assert len(first["items"]) == 2
    rest = portal.get(
        "/audit/portal", user="admin", actor="portal.dvc", limit=2, cursor=first["next"]
    ).json()
    assert len(rest["items"]) == 1
    assert rest["next"] is None
    item = first["items"][0]
    assert item["actor"] == {"id": "portal.dvc", "role": "portal"}
    assert item["query"] == {"personal_id": PID, "limit": 1}
    mine = portal.get("/audit/portal", user="admin", record=str(record(2, "x").id)).json()
    assert [i["action"] for i in mine["items"]] == ["search_by_name"]
    for user in ("portal", "manager"):
        assert portal.get("/audit/portal", user=user).status_code == 403
    for params, field in (
        ({"actor": "portal\x00"}, "actor"),
        ({"actor": "two words"}, "actor"),
        ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
        ({"until": "0.5"}, "until"),  # a number is no time here
        ({"until": "2026-13-01"}, "until"),
        ({"record": "not-a-uuid"}, "record"),
    ):
        response = portal.get("/audit/portal", user="admin", **params)
        assert response.status_code == 422, params
        assert [f for f, _ in errors(response)] == [field]
    backwards = portal.get(
        "/audit/portal", user="admin", since="2026-11-28T00:00:00", until="2026-11-27T00:00:00"
    )
    assert errors(backwards) == [("until", "must be later than since")]
