"""SqlPortalView: the portal's published records, in one view database.

The database (SQLite or PostgreSQL, infra/read_store/database.py) has one writer, which stores
each save and its position in one transaction, and many readers, who see whole saves. Every
read is a single SELECT.

Portal lookups use indexes: personal IDs (``portal_personal_ids``, keyed by ID), names
(``portal_names``) and ``(register_id, entry_number)``. Each searchable name carries its
record's sort keys (the subject's folded name, book, entry number), and its two indexes hold
them in the order a search answers, so a page of exact or prefix matches reads about as many
index entries as it returns, however common the name (see ``STEPS``). A "contains" search
reads the names table; it runs only when the exact and prefix matches did not fill the page.

The portal and the record history (infra/read_store/history.py) may share one database
(their tables and tracking rows differ).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any
from uuid import UUID

from domain.person_name import accent_key, fold
from infra.read_store.database import (
    Row,
    TrackedView,
    Writer,
    chunked,
    marks,
    upsert_sql,
    wanted_pairs,
)
from infra.read_store.portal_rows import json_text, record_of_row, record_params, working_of_row
from infra.read_store.portal_search import (
    AFTER_ID,
    ID_PAGE,
    INSIDE_NAMES,
    INSIDE_STEP,
    STEPS,
    UPPER,
    filter_sql,
    name_key_of_row,
    step_sql,
)
from projections.portal_model import (
    PageKey,
    PageScan,
    PortalBatch,
    PortalRecord,
    PortalRegister,
    WorkingEntry,
)
from projections.portal_queries import IdHit, IdKey, NameHit, NameKey, NamePage, RecordFilter

# ----- portal records -----------------------------------------------------------------------

_PORTAL = "portal_records"
# portal_names' two indexes end with its key (entry_id, seq): SQLite's indexes of a WITHOUT
# ROWID table hold it anyway, and PostgreSQL can then answer a search step from the index alone.
_PORTAL_SCHEMA = """
CREATE TABLE IF NOT EXISTS portal_registers (
    id TEXT PRIMARY KEY, district TEXT NOT NULL, commune_code TEXT NOT NULL, kind TEXT NOT NULL,
    book_number TEXT NOT NULL, year_from INTEGER NOT NULL, year_to INTEGER NOT NULL,
    version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS portal_scans (
    register_id TEXT NOT NULL, page_number INTEGER NOT NULL, object_key TEXT NOT NULL,
    sha256 TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,
    PRIMARY KEY (register_id, page_number)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS portal_working (
    id TEXT PRIMARY KEY, register_id TEXT NOT NULL, district TEXT NOT NULL,
    commune_code TEXT NOT NULL, kind TEXT NOT NULL, entry_number INTEGER NOT NULL,
    pages TEXT NOT NULL, fields TEXT NOT NULL, fields_before_correction TEXT,
    version INTEGER NOT NULL, publication_count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS portal_records (
    id TEXT PRIMARY KEY, register_id TEXT NOT NULL, district TEXT NOT NULL,
    commune_code TEXT NOT NULL, kind TEXT NOT NULL, book_number TEXT, year_from INTEGER,
    year_to INTEGER, entry_number INTEGER NOT NULL, fields TEXT NOT NULL, subject_name TEXT,
    search_key TEXT, accent_key TEXT, other_names TEXT NOT NULL, personal_ids TEXT NOT NULL,
    subject_personal_id TEXT, birth_year INTEGER, birth_month INTEGER, birth_day INTEGER,
    birth_date_lunar INTEGER NOT NULL, sex TEXT, pages TEXT NOT NULL, scans TEXT NOT NULL,
    published_at TEXT NOT NULL, published_version INTEGER NOT NULL,
    publication_count INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS portal_records_by_number
    ON portal_records (register_id, entry_number);
CREATE INDEX IF NOT EXISTS portal_records_by_birth ON portal_records (birth_year, kind);
CREATE TABLE IF NOT EXISTS portal_names (
    entry_id TEXT NOT NULL, seq INTEGER NOT NULL, folded TEXT NOT NULL, accent TEXT NOT NULL,
    is_subject INTEGER NOT NULL, subject_key TEXT NOT NULL, register_id TEXT NOT NULL,
    entry_number INTEGER NOT NULL, PRIMARY KEY (entry_id, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS portal_names_by_accent_order
    ON portal_names (accent, is_subject, subject_key, register_id, entry_number, entry_id, seq);
CREATE INDEX IF NOT EXISTS portal_names_by_folded_order ON portal_names
    (is_subject, folded, subject_key, register_id, entry_number, accent, entry_id, seq);
CREATE TABLE IF NOT EXISTS portal_personal_ids (
    personal_id TEXT NOT NULL, entry_id TEXT NOT NULL, is_subject INTEGER NOT NULL,
    PRIMARY KEY (personal_id, entry_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS portal_personal_ids_by_entry ON portal_personal_ids (entry_id);
CREATE TABLE IF NOT EXISTS portal_pages (
    register_id TEXT NOT NULL, page_number INTEGER NOT NULL, entry_id TEXT NOT NULL,
    PRIMARY KEY (register_id, page_number, entry_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS portal_pages_by_entry ON portal_pages (entry_id);
"""
_RECORD_COLUMNS = [
    "id",
    "register_id",
    "district",
    "commune_code",
    "kind",
    "book_number",
    "year_from",
    "year_to",
    "entry_number",
    "fields",
    "subject_name",
    "search_key",
    "accent_key",
    "other_names",
    "personal_ids",
    "subject_personal_id",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_date_lunar",
    "sex",
    "pages",
    "scans",
    "published_at",
    "published_version",
    "publication_count",
]
_UPSERT_RECORD = upsert_sql("portal_records", _RECORD_COLUMNS, key=("id",))
_UPSERT_REGISTER = upsert_sql(
    "portal_registers",
    ("id", "district", "commune_code", "kind", "book_number", "year_from", "year_to", "version"),
    key=("id",),
)
_UPSERT_SCAN = upsert_sql(
    "portal_scans",
    ("register_id", "page_number", "object_key", "sha256", "media_type", "size"),
    key=("register_id", "page_number"),
)
_UPSERT_WORKING = upsert_sql(
    "portal_working",
    (
        "id",
        "register_id",
        "district",
        "commune_code",
        "kind",
        "entry_number",
        "pages",
        "fields",
        "fields_before_correction",
        "version",
        "publication_count",
    ),
    key=("id",),
)
_SELECT_RECORDS = "SELECT p.* FROM portal_records AS p"
_ON_WANTED_PAGES = (  # after wanted_pairs: (register id, page number)
    f"{_SELECT_RECORDS} WHERE p.id IN (SELECT g.entry_id FROM wanted "  # noqa: S608
    "JOIN portal_pages AS g ON g.register_id = wanted.a AND g.page_number = wanted.b) "
    "ORDER BY p.register_id, p.entry_number"
)


_INSERT_NAME = (
    "INSERT INTO portal_names (entry_id, seq, folded, accent, is_subject, subject_key, "
    "register_id, entry_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_PERSONAL_ID = (
    "INSERT INTO portal_personal_ids (personal_id, entry_id, is_subject) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
_INSERT_PAGE = (
    "INSERT INTO portal_pages (register_id, page_number, entry_id) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)


def _store_records(
    db: Writer, records: Iterable[PortalRecord], new: Collection[UUID] = frozenset()
) -> None:
    """Upsert the records and replace their names, IDs and pages, a statement per table
    (``new``: records never stored, whose rows need no replacing)."""
    records = list(records)
    if not records:
        return
    db.executemany(_UPSERT_RECORD, [record_params(r) for r in records])
    for chunk in chunked(str(r.id) for r in records if r.id not in new):
        for table in ("portal_names", "portal_personal_ids", "portal_pages"):
            db.execute(f"DELETE FROM {table} WHERE entry_id IN ({marks(len(chunk))})", chunk)  # noqa: S608
    names, ids, pages = [], [], []
    for record in records:
        entry_id, register_id = str(record.id), str(record.register_id)
        subject_key = record.search_key or ""
        names += [
            (
                entry_id,
                seq,
                n.folded,
                n.accent,
                int(n.is_subject),
                subject_key,
                register_id,
                record.entry_number,
            )
            for seq, n in enumerate(record.search_names)
        ]
        ids += [(p, entry_id, int(p == record.subject_personal_id)) for p in record.personal_ids]
        pages += [(register_id, p, entry_id) for p in record.pages]
    for sql, rows in ((_INSERT_NAME, names), (_INSERT_PERSONAL_ID, ids), (_INSERT_PAGE, pages)):
        if rows:
            db.executemany(sql, rows)


def _register_params(register: PortalRegister) -> tuple[Any, ...]:
    return (
        str(register.id),
        register.district,
        register.commune_code,
        register.kind,
        register.book_number,
        register.year_from,
        register.year_to,
        register.version,
    )


def _scan_params(scan: PageScan) -> tuple[Any, ...]:
    return (
        str(scan.register_id),
        scan.page_number,
        scan.object_key,
        scan.sha256,
        scan.media_type,
        scan.size,
    )


def _working_params(working: WorkingEntry) -> tuple[Any, ...]:
    before = working.fields_before_correction
    return (
        str(working.id),
        str(working.register_id),
        working.district,
        working.commune_code,
        working.kind,
        working.entry_number,
        json_text(list(working.pages)),
        json_text(working.fields),
        json_text(before) if before is not None else None,
        working.version,
        working.publication_count,
    )


def _apply_batch(db: Writer, batch: PortalBatch) -> None:
    for sql, rows in (
        (_UPSERT_REGISTER, [_register_params(r) for r in batch.registers.values()]),
        (_UPSERT_SCAN, [_scan_params(s) for s in batch.scans.values()]),
        (_UPSERT_WORKING, [_working_params(w) for w in batch.working.values()]),
    ):
        if rows:
            db.executemany(sql, rows)
    _store_records(db, batch.records.values(), batch.new_records)


def _register_of_row(row: Row) -> PortalRegister:
    data = dict(row)
    data["id"] = UUID(data["id"])
    return PortalRegister(**data)


class SqlPortalView(TrackedView):
    """The portal's published records, and the working state they are built from."""

    NAME = _PORTAL
    SCHEMA = _PORTAL_SCHEMA
    READ_INDEXES = (
        "portal_records_by_birth",
        "portal_names_by_accent_order",
        "portal_names_by_folded_order",
    )
    SCHEMA_VERSION = 2  # 2: portal_names holds each record's sort keys

    # ----- what the projection reads and writes ---------------------------------------------
    def get_register(self, register_id: UUID) -> PortalRegister | None:
        rows = self._db.query("SELECT * FROM portal_registers WHERE id=?", (str(register_id),))
        return _register_of_row(rows[0]) if rows else None

    def get_working(self, entry_id: UUID) -> WorkingEntry | None:
        rows = self._db.query("SELECT * FROM portal_working WHERE id=?", (str(entry_id),))
        return working_of_row(rows[0]) if rows else None

    def page_scans(self, register_id: UUID, pages: Sequence[int]) -> list[PageScan]:
        if not pages:
            return []
        marks_ = ",".join("?" * len(pages))
        rows = self._db.query(
            f"SELECT * FROM portal_scans WHERE register_id=? AND page_number IN ({marks_}) "  # noqa: S608
            "ORDER BY page_number",
            (str(register_id), *pages),
        )
        return [PageScan(**{**dict(r), "register_id": register_id}) for r in rows]

    def published_on_page(self, register_id: UUID, page_number: int) -> list[PortalRecord]:
        return self.published_on_pages([(register_id, page_number)])

    def get_registers(self, register_ids: Collection[UUID]) -> dict[UUID, PortalRegister]:
        found: dict[UUID, PortalRegister] = {}
        for chunk in chunked(str(i) for i in register_ids):
            sql = f"SELECT * FROM portal_registers WHERE id IN ({marks(len(chunk))})"  # noqa: S608
            for row in self._db.query(sql, chunk):
                register = _register_of_row(row)
                found[register.id] = register
        return found

    def get_workings(self, entry_ids: Collection[UUID]) -> dict[UUID, WorkingEntry]:
        found: dict[UUID, WorkingEntry] = {}
        for chunk in chunked(str(i) for i in entry_ids):
            sql = f"SELECT * FROM portal_working WHERE id IN ({marks(len(chunk))})"  # noqa: S608
            for row in self._db.query(sql, chunk):
                working = working_of_row(row)
                found[working.id] = working
        return found

    def get_scans(self, pages: Collection[PageKey]) -> dict[PageKey, PageScan]:
        found: dict[PageKey, PageScan] = {}
        for chunk in chunked(pages):
            sql = wanted_pairs(len(chunk)) + (  # noqa: S608 - placeholders only
                "SELECT s.* FROM wanted JOIN portal_scans AS s "
                "ON s.register_id = wanted.a AND s.page_number = wanted.b"
            )
            params = [value for register_id, page in chunk for value in (str(register_id), page)]
            for row in self._db.query(sql, params):
                scan = PageScan(**{**dict(row), "register_id": UUID(row["register_id"])})
                found[(scan.register_id, scan.page_number)] = scan
        return found

    def published_on_pages(self, pages: Collection[PageKey]) -> list[PortalRecord]:
        """Each published record holding one of ``pages``, once, by book and entry number."""
        found: dict[str, PortalRecord] = {}
        for chunk in chunked(pages):
            sql = wanted_pairs(len(chunk)) + _ON_WANTED_PAGES
            params = [value for register_id, page in chunk for value in (str(register_id), page)]
            for row in self._db.query(sql, params):
                found.setdefault(row["id"], record_of_row(row))
        return list(found.values())

    def save_batch(self, position: int, batch: PortalBatch) -> None:
        """Store a batch's rows and ``position`` in one transaction, unless already past it."""
        self._db.write(self._tracking, position, lambda db: _apply_batch(db, batch))

    def save(
        self,
        position: int,
        *,
        register: PortalRegister | None = None,
        scan: PageScan | None = None,
        working: WorkingEntry | None = None,
        records: Sequence[PortalRecord] = (),
    ) -> None:
        batch = PortalBatch(records={r.id: r for r in records})
        if register is not None:
            batch.registers[register.id] = register
        if scan is not None:
            batch.scans[(scan.register_id, scan.page_number)] = scan
        if working is not None:
            batch.working[working.id] = working
        self.save_batch(position, batch)

    # ----- what the portal asks -------------------------------------------------------------
    def get_record(self, entry_id: UUID) -> PortalRecord | None:
        rows = self._db.query(f"{_SELECT_RECORDS} WHERE p.id=?", (str(entry_id),))
        return record_of_row(rows[0]) if rows else None

    def get_by_register_and_number(
        self, register_id: UUID, entry_number: int
    ) -> PortalRecord | None:
        rows = self._db.query(
            f"{_SELECT_RECORDS} WHERE p.register_id=? AND p.entry_number=?",
            (str(register_id), entry_number),
        )
        return record_of_row(rows[0]) if rows else None

    def find_by_personal_id(self, personal_id: str) -> list[PortalRecord]:
        """Every published record holding the ID: records about that person first."""
        pid = "".join(personal_id.split())
        if len(pid) != 12 or not pid.isascii() or not pid.isdigit():
            return []
        rows = self._db.query(
            f"{_SELECT_RECORDS} JOIN portal_personal_ids AS i ON i.entry_id = p.id "
            "WHERE i.personal_id=? ORDER BY i.is_subject DESC, p.register_id, p.entry_number",
            (pid,),
        )
        return [record_of_row(r) for r in rows]

    def search_by_name(self, query: str, limit: int = 20) -> list[PortalRecord]:
        """Published records by name, best match first (see projections.portal_records): the
        pages of ``search_by_name_page`` until ``limit`` records."""
        found: list[PortalRecord] = []
        after: NameKey | None = None
        while len(found) < limit:
            page = self.search_by_name_page(
                query, where=RecordFilter(), after=after, limit=limit - len(found)
            )
            found += [h.record for h in page.hits]
            if page.next is None:
                break
            after = page.next
        return found

    # ----- paged queries of the portal API (projections/portal_queries.py) -----------------------
    def find_by_personal_id_page(
        self, personal_id: str, *, where: RecordFilter, after: IdKey | None, limit: int
    ) -> list[IdHit]:
        """Published records holding the ID, in the order of ``find_by_personal_id``, after
        ``after``, filtered; at most ``limit``."""
        pid = "".join(personal_id.split())
        if len(pid) != 12 or not pid.isascii() or not pid.isdigit() or limit < 1:
            return []
        conditions, params = filter_sql(where)
        conditions.insert(0, "i.personal_id = :pid")
        params.update(pid=pid, limit=limit)
        if after is not None:
            conditions.append(AFTER_ID)
            params.update(
                after_subject=after.is_subject,
                after_register=after.register_id,
                after_number=after.entry_number,
            )
        rows = self._db.query(ID_PAGE.format(conditions=" AND ".join(conditions)), params)
        return [
            IdHit(
                IdKey(int(r["hit_subject"]), r["register_id"], r["entry_number"]), record_of_row(r)
            )
            for r in rows
        ]

    def search_by_name_page(
        self, query: str, *, where: RecordFilter, after: NameKey | None, limit: int
    ) -> NamePage:
        """Published records by name, ranked as ``search_by_name`` ranks them, after
        ``after``, filtered; at most ``limit``.

        The steps run in rank order, each asked for what the page still lacks (and one more:
        is there a next page?). Names holding the query inside are read only on a page of
        their own: once the better steps gave this page a match, the page ends there and its
        ``next`` starts at that step, so a search whose name is found costs index reads only.
        """
        folded = fold(query)
        if not folded or limit < 1:
            return NamePage([], None)
        filters, params = filter_sql(where)
        params.update(folded=folded, accent=accent_key(query), upper=folded + UPPER)
        if after is not None:
            params.update(
                after_rank=after.rank,
                after_name=after.matched,
                after_key=after.name_key,
                after_register=after.register_id,
                after_number=after.entry_number,
            )
        hits: list[NameHit] = []
        for step in STEPS:
            if after is not None and after.rank > step.last_rank:
                continue  # the cursor is past this step
            if step.rank == INSIDE_STEP and hits:
                return NamePage(hits, INSIDE_NAMES)
            params["limit"] = limit + 1 - len(hits)
            sql = step_sql(step, filters, after)
            hits += [
                NameHit(name_key_of_row(r), record_of_row(r)) for r in self._db.query(sql, params)
            ]
            if len(hits) > limit:
                return NamePage(hits[:limit], hits[limit - 1].key)
        return NamePage(hits, None)
