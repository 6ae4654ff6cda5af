"""The portal API's paged queries on the portal view, and its audit trail, on SQLite and on the
real PostgreSQL server: pages in the ranked order with no record twice, filters, scopes."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from infra.read_store.portal_search import STEPS, step_sql
from infra.read_store.postgres_database import PostgresReadDatabase
from infra.service_db.database import SqlDatabase
from infra.service_db.portal_audit import SqlPortalAudit
from projections.portal_audit import AuditFilter, AuditKey, AuditUnavailableError, PortalRead
from projections.portal_queries import IdKey, NameKey, RecordFilter
from tests.builders import catalogue_book
from tests.integration.conftest import postgres_url
from tests.integration.read_stores import ReadStores
from tests.integration.test_portal_records import MY_ID, PO, PO_ID, World, birth

EVERYONE = RecordFilter()


@pytest.fixture
def world(tmp_path: Path, read_store: ReadStores) -> Iterator[World]:
    w = World(tmp_path, read_store)
    yield w
    w.close()


def search_pages(
    world: World, query: str, limit: int, where: RecordFilter = EVERYONE
) -> list[UUID]:
    return [r for page in search_page_ids(world, query, limit, where) for r in page]


def search_page_ids(
    world: World, query: str, limit: int, where: RecordFilter = EVERYONE
) -> list[list[UUID]]:
    pages: list[list[UUID]] = []
    after: NameKey | None = None
    while True:
        page = world.portal.search_by_name_page(query, where=where, after=after, limit=limit)
        assert len(page.hits) <= limit
        pages.append([h.record.id for h in page.hits])
        if page.next is None:
            return pages
        assert after is None or page.next > after
        after = page.next


def ranking_world(world: World) -> dict[str, UUID]:
    """The ranking test's records (see test_portal_records), and one to leave out."""
    return {
        "contains_subject": world.publish_new(1, birth("Sùng Lò Văn Hoà", year=1990, sex="nam")),
        "prefix_other": world.publish_new(
            2, birth("Lò Thị Mai", **{"father.full_name": "Lò Văn Hoàng Anh"})
        ),
        "prefix_subject": world.publish_new(3, birth("Lò Văn Hoàng", year=1990, sex="nam")),
        "folded_exact": world.publish_new(4, birth("Lò Văn Hóa", year=1990, sex="nam")),
        "accent_exact": world.publish_new(5, birth("Lò Văn Hoà", year=1990, sex="nam")),
        "exact_other": world.publish_new(
            6, birth("Lò Thị Phương", **{"father.full_name": "Lò Văn Hoà"})
        ),
        "mid_word": world.publish_new(7, birth("Vàng Thị Plò Văn Hoa")),
        # a subject named like the query and a father named as a prefix of it: one tier only
        "both": world.publish_new(
            8, birth("Lò Văn Hoa", year=1992, sex="nam", **{"father.full_name": "Lò Văn Hoàn"})
        ),
    }


def test_pages_of_a_name_search_follow_its_ranking_with_no_record_twice(world: World) -> None:
    ranking_world(world)
    for query in ("Lò Văn Hòa", "lo van hoa", "lo van", "van hoa", "LÒ"):
        ranked = [r.id for r in world.portal.search_by_name(query, limit=100)]
        assert len(ranked) == len(set(ranked)) > 2, query
        for limit in (1, 2, 3, 100):
            assert search_pages(world, query, limit) == ranked, (query, limit)


def test_a_name_search_key_tells_the_rank_and_order(world: World) -> None:
    ids = ranking_world(world)
    first = world.portal.search_by_name_page("Lò Văn Hòa", where=EVERYONE, after=None, limit=100)
    rest = world.portal.search_by_name_page(
        "Lò Văn Hòa", where=EVERYONE, after=first.next, limit=100
    )
    assert rest.next is None
    hits = first.hits + rest.hits
    keys = [h.key for h in hits]
    assert keys == sorted(keys)
    by_id = {h.record.id: h.key for h in hits}
    assert by_id[ids["accent_exact"]].rank == 0
    assert by_id[ids["exact_other"]].rank == 1
    assert by_id[ids["folded_exact"]].rank == 2
    assert by_id[ids["both"]].rank == 2  # its subject's name matches better than its father's
    assert by_id[ids["prefix_subject"]].rank == 4
    assert by_id[ids["mid_word"]].rank == 8  # inside a word of the subject's name
    assert by_id[ids["accent_exact"]].name_key == "lo van hoa"


def test_names_holding_the_query_inside_wait_for_the_next_page(world: World) -> None:
    """Only they need every name read: a search whose name is found reads indexes only."""
    ids = ranking_world(world)
    inside = [ids["contains_subject"], ids["mid_word"]]
    pages = search_page_ids(world, "Lò Văn Hòa", 100)
    assert len(pages) == 2
    assert pages[1] == inside
    assert inside[0] not in pages[0]
    # with nothing better, they fill the first page
    assert search_page_ids(world, "van hoa", 100) == [
        [r.id for r in world.portal.search_by_name("van hoa", limit=100)]
    ]
    # a full page of better matches ends before them, and the next page starts with them
    full = search_page_ids(world, "Lò Văn Hòa", 6)
    assert [len(p) for p in full] == [6, 2]  # the 6 better ones, then those inside
    assert search_pages(world, "Lò Văn Hòa", 6) == search_pages(world, "Lò Văn Hòa", 100)


def test_a_record_naming_the_query_more_than_once_is_answered_once(world: World) -> None:
    twice = world.publish_new(
        1,
        birth(
            "Vàng Thị Ly",
            **{"father.full_name": "Vàng A Páo", "mother.full_name": "Vàng A Páo"},
        ),
    )
    subject_and_father = world.publish_new(
        2, birth("Vàng A Páo", sex="nam", **{"father.full_name": "Vàng A Páo Đăng"})
    )
    once = world.publish_new(3, birth("Vàng A Páo Sử", sex="nam"))
    for query in ("Vàng A Páo", "vang a pao", "VÀNG A"):
        pages = search_page_ids(world, query, 1)
        found = [r for page in pages for r in page]
        assert sorted(found) == sorted([twice, subject_and_father, once]), query
    # at its best name: the subject's exact name, then a parent's, then a longer name
    assert search_pages(world, "Vàng A Páo", 1) == [subject_and_father, twice, once]


def test_names_starting_with_the_query_come_in_the_order_of_the_name_that_matched(
    world: World,
) -> None:
    tu = world.publish_new(1, birth("Lò Thị Ánh", **{"father.full_name": "Lò Văn Tú"}))
    binh = world.publish_new(2, birth("Lò Thị Bích", **{"father.full_name": "Lò Văn Bình"}))
    subject = world.publish_new(3, birth("Lò Văn Sáng", sex="nam"))
    # the subject's own name first; then the fathers by their names (Bình before Tú), not by
    # their children's names (Ánh before Bích)
    assert search_pages(world, "lò văn", 1) == [subject, binh, tu]
    keys = [
        h.key
        for h in world.portal.search_by_name_page(
            "lò văn", where=EVERYONE, after=None, limit=9
        ).hits
    ]
    assert [(k.rank, k.matched) for k in keys] == [
        (4, "lo van sang"),
        (5, "lo van binh"),
        (5, "lo van tu"),
    ]


def test_each_search_step_reads_an_index_in_its_own_order(
    world: World, read_store: ReadStores
) -> None:
    """A page of exact or prefix matches reads about as many index entries as it answers,
    however many records hold the name: no step but the one inside names sorts."""
    ranking_world(world)
    params = {
        "folded": "lo van hoa",
        "accent": "lò văn hoà",
        "upper": "lo van hoa\U0010ffff",
        "limit": 21,
        "after_rank": 4,
        "after_name": "lo van hoang",
        "after_key": "lo van hoang",
        "after_register": str(world.register),
        "after_number": 3,
    }
    after = NameKey(4, "lo van hoang", "lo van hoang", str(world.register), 3)
    for step in STEPS:
        for cursor in (None, after):
            sql = step_sql(step, [], cursor)
            plan = explain(read_store, world, sql, params)
            if step.rank == step.last_rank:
                assert "sort" not in plan.lower(), (step, plan)
            else:  # inside names: every name read, matches sorted
                assert "sort" in plan.lower() or "b-tree" in plan.lower(), plan


def explain(read_store: ReadStores, world: World, sql: str, params: dict[str, object]) -> str:
    """The query plan, with what a sort costs made plain (``USE TEMP B-TREE FOR ORDER BY`` on
    SQLite; a ``Sort`` node on PostgreSQL, asked to prefer an index to a scan of the table)."""
    db = world.portal._db  # the plan of the view's own statements
    if read_store.kind == "sqlite":
        rows = db.query(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(r[3]).replace("TEMP B-TREE", "sort b-tree") for r in rows)
    assert isinstance(db, PostgresReadDatabase)
    with db.snapshot() as reader:
        reader.query("SELECT set_config('enable_seqscan', 'off', true)")
        reader.query("SELECT set_config('enable_bitmapscan', 'off', true)")
        return "\n".join(str(r[0]) for r in reader.query(f"EXPLAIN {sql}", params))


def test_name_search_filters_apply_before_paging(world: World) -> None:
    ids = ranking_world(world)
    other_book = catalogue_book(
        world.app, "02", commune_code="00721", page_count=5, estimated_entries=5
    ).id
    world.register, book = other_book, world.register
    elsewhere = world.publish_new(1, birth("Lò Văn Hoà", year=1990, sex="nam"))
    world.register = book

    def found(**conditions: object) -> list[UUID]:
        return search_pages(world, "lo van hoa", 2, RecordFilter(**conditions))  # type: ignore[arg-type]

    men_1990 = found(birth_year=1990, sex="male")
    assert ids["both"] not in men_1990  # born 1992
    assert ids["mid_word"] not in men_1990  # a woman
    assert set(men_1990) == {
        ids["folded_exact"],
        ids["accent_exact"],
        ids["prefix_subject"],
        ids["contains_subject"],
        elsewhere,
    }
    assert found(commune="00721") == [elsewhere]
    assert elsewhere not in found(commune="00718")
    assert found(birth_year=1990, birth_month=1) == []  # "1990" gives no month
    assert found(kind="death") == []
    assert found(district="027") == []
    assert found(districts=frozenset()) == []
    assert set(found(districts=frozenset({"026", "027"}))) == set(found())


def test_pages_of_a_personal_id_hold_the_holders_records_first(world: World) -> None:
    child = world.publish_new(2, PO, pages=[2])
    mother = world.publish_new(
        1, birth("Vừ Thị Mỷ", year=1968, **{"child.personal_id": MY_ID}), pages=[1]
    )
    later_child = world.publish_new(
        3, {**PO, "child.personal_id": "", "child.full_name": "Giàng Mí"}
    )
    assert later_child != child
    pages: list[UUID] = []
    after: IdKey | None = None
    while True:
        hits = world.portal.find_by_personal_id_page(MY_ID, where=EVERYONE, after=after, limit=1)
        if not hits:
            break
        pages += [h.record.id for h in hits]
        after = hits[-1].key
    assert pages == [mother, child, later_child]
    assert [r.id for r in world.portal.find_by_personal_id(MY_ID)] == pages
    scoped = RecordFilter(districts=frozenset({"027"}))
    assert world.portal.find_by_personal_id_page(MY_ID, where=scoped, after=None, limit=9) == []
    assert world.portal.find_by_personal_id_page("12", where=EVERYONE, after=None, limit=9) == []
    hits = world.portal.find_by_personal_id_page(PO_ID, where=EVERYONE, after=None, limit=9)
    assert [(h.key.is_subject, h.record.id) for h in hits] == [(1, child)]


def test_histories_of_many_entries_in_one_query(world: World) -> None:
    first = world.publish_new(1, PO)
    second = world.publish_new(2, birth("Lò Thị Mai"))
    missing = uuid.uuid4()
    found = world.history.histories([first, second, missing])
    assert found[first] == world.history.history(first)
    assert found[second] == world.history.history(second)
    assert found[missing] == []
    assert [i.name for i in found[second]][-1] == "EntryPublished"


# ----- the audit trail --------------------------------------------------------------------------
@pytest.fixture
def audit_db(backend: str, tmp_path: Path) -> Iterator[SqlDatabase]:
    if backend == "postgres":
        url = postgres_url()
        with psycopg.connect(url, autocommit=True) as conn:
            for table in AUDIT_TABLES:
                conn.execute(
                    psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg.sql.Identifier(table))
                )
        db = SqlDatabase(postgres_url=url)
    else:
        db = SqlDatabase(sqlite_path=tmp_path / "service.sqlite")
    yield db
    db.close()


AUDIT_TABLES = (
    "hotich_portal_reads",
    "hotich_portal_read_records",
    "hotich_portal_audit",
    "hotich_portal_audit_v1",
)
T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)
A, B, C = (uuid.uuid5(uuid.NAMESPACE_URL, n) for n in "abc")


def read(n: int, actor: str, records: tuple[UUID, ...], **query: object) -> PortalRead:
    return PortalRead(
        request_id=f"r{n:03d}",
        at=T0 + dt.timedelta(seconds=n),
        actor_id=actor,
        actor_role="portal",
        action="search_by_name",
        query=dict(query),
        record_ids=records,
    )


def test_the_audit_keeps_who_when_what_and_which_records(audit_db: SqlDatabase) -> None:
    audit = SqlPortalAudit(audit_db)
    reads = [
        read(1, "portal.dvc", (A, B), q="Lò Văn Hòa", limit=2),
        read(2, "portal.huyen", (), personal_id="002090004711"),
        read(3, "portal.dvc", (B,), entry_id=str(B)),
        read(4, "portal.dvc", (C, A, B), q="giang"),
    ]
    for r in reads:
        audit.record(r)

    def listed(where: AuditFilter = AuditFilter(), limit: int = 10) -> list[PortalRead]:  # noqa: B008
        out: list[PortalRead] = []
        after: AuditKey | None = None
        while True:
            page = audit.list_reads(where, after=after, limit=limit)
            out += [r for _, r in page]
            if len(page) < limit:
                return out
            after = page[-1][0]

    assert listed() == reads[::-1]
    assert listed(limit=1) == reads[::-1]
    assert listed(AuditFilter(actor="portal.huyen")) == [reads[1]]
    assert listed(AuditFilter(record=B), limit=2) == [reads[3], reads[2], reads[0]]
    assert listed(AuditFilter(record=C)) == [reads[3]]
    window = AuditFilter(since=T0 + dt.timedelta(seconds=2), until=T0 + dt.timedelta(seconds=4))
    assert listed(window) == [reads[2], reads[1]]
    naive = AuditFilter(since=(T0 + dt.timedelta(seconds=4)).replace(tzinfo=None))
    assert listed(naive) == [reads[3]]
    assert listed()[0].query == {"q": "giang"}
    assert listed()[-1].at == T0 + dt.timedelta(seconds=1)


def test_concurrent_reads_are_all_audited_and_share_commits(audit_db: SqlDatabase) -> None:
    audit = SqlPortalAudit(audit_db)
    commits: list[int] = []
    commit = audit._writer._commit_rows

    def counted(group: Sequence[object]) -> None:
        commits.append(len(group))
        commit(group)  # type: ignore[arg-type]

    audit._writer._commit_rows = counted

    def record(n: int) -> None:
        audit.record(read(n, f"portal.{n % 3}", (A, B) if n % 2 else (C,)))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(record, range(300)))
    assert sum(commits) == 300
    assert len(commits) < 300  # requests that came during a commit shared the next one
    found = audit.list_reads(AuditFilter(), after=None, limit=1000)
    assert [r.request_id for _, r in found] == [f"r{n:03d}" for n in reversed(range(300))]
    assert len(audit.list_reads(AuditFilter(record=B), after=None, limit=1000)) == 150
    assert all(r.record_ids == ((A, B) if int(r.request_id[1:]) % 2 else (C,)) for _, r in found)
    audit.close()
    if audit_db.sqlite_path is not None:  # the group writer's journal: WAL, on the file
        assert audit_db.execute("PRAGMA journal_mode") == [("wal",)]


def test_an_audit_that_cannot_be_written_says_so(audit_db: SqlDatabase) -> None:
    audit = SqlPortalAudit(audit_db)
    audit.record(read(1, "portal.dvc", (A,)))
    audit_db.execute("DROP TABLE hotich_portal_reads")
    with pytest.raises(AuditUnavailableError, match="could not be written"):
        audit.record(read(1, "portal.dvc", (A,)))
    with pytest.raises(AuditUnavailableError, match="could not be read"):
        audit.list_reads(AuditFilter(), after=None, limit=5)
    SqlPortalAudit(audit_db)  # the table again
    audit.record(read(2, "portal.dvc", (A,)))
    assert [r.request_id for _, r in audit.list_reads(AuditFilter(), after=None, limit=5)] == [
        "r002"
    ]
    audit.close()


def test_an_audit_kept_in_the_first_layout_is_moved_whole(audit_db: SqlDatabase) -> None:
    """The first layout: one row per returned record, each repeating its request."""
    audit_db.execute(
        "CREATE TABLE hotich_portal_audit (request_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, "
        "action TEXT NOT NULL, query TEXT NOT NULL, record_id TEXT, "
        "PRIMARY KEY (request_id, seq))"
    )
    reads = [
        read(1, "portal.dvc", (A, B, C), q="Lò Văn Hòa"),
        read(2, "portal.huyen", (), personal_id="002090004711"),
        read(3, "portal.dvc", (B,), entry_id=str(B)),
    ]
    for r in reads:
        for seq, record in enumerate(r.record_ids or (None,)):
            audit_db.execute(
                "INSERT INTO hotich_portal_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    r.request_id,
                    seq,
                    r.at.isoformat(timespec="microseconds"),
                    r.actor_id,
                    r.actor_role,
                    r.action,
                    json.dumps(r.query, ensure_ascii=False),
                    None if record is None else str(record),
                ),
            )
    audit = SqlPortalAudit(audit_db)
    assert [r for _, r in audit.list_reads(AuditFilter(), after=None, limit=10)] == reads[::-1]
    assert [
        r.request_id for _, r in audit.list_reads(AuditFilter(record=B), after=None, limit=9)
    ] == ["r003", "r001"]
    # the old table is kept aside, and opening the audit again moves nothing twice
    assert len(audit_db.execute("SELECT * FROM hotich_portal_audit_v1")) == 5
    audit.record(read(4, "portal.dvc", (C,)))
    audit.close()
    again = SqlPortalAudit(audit_db)
    assert len(again.list_reads(AuditFilter(), after=None, limit=10)) == 4
    again.close()
