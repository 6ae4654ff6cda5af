"""SqlPortalView: the portal's published records, in one view database.

The database (SQLite or PostgreSQL, infra/read_store/database.py) has one writer, which stores
each save and its position in one transaction, and many readers, who see whole saves. Every
read is a single SELECT.

Portal lookups use indexes: personal IDs (``portal_personal_ids``, keyed by ID), names
(``portal_names``) and ``(register_id, entry_number)``. Each searchable name carries its
record's sort keys (the subject's folded name, book, entry number), and its two indexes hold
them in the order a search answers, so a page of exact or prefix matches reads about as many
index entries as it returns, however common the name (see ``_STEPS``). A "contains" search
reads the names table; it runs only when the exact and prefix matches did not fill the page.

The portal and the record history (infra/read_store/history.py) may share one database
(their tables and tracking rows differ).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.person_name import accent_key, fold
from infra.read_store.database import (
    Row,
    TrackedView,
    Writer,
    upsert_sql,
)
from projections.portal_queries import IdHit, IdKey, NameHit, NameKey, NamePage, RecordFilter
from projections.portal_records import PageScan, PortalRecord, PortalRegister, WorkingEntry


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


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

# ----- name search ------------------------------------------------------------------------
# The rank of a name ``n`` for a query (NULL: no match), best first; the subject's name ranks
# before another person's of the same kind of match (``1 - is_subject``):
# 0/1 the same name with the same accents; 2/3 the same name folded; 4/5 a name starting with
# the query; 6/7 the query at the start of a later word; 8/9 anywhere else inside.
_UPPER = "\U0010ffff"  # sorts after every character: "abc" <= x < "abc" + _UPPER is a prefix


def _rank(n: str) -> str:
    return (
        f"(CASE WHEN {n}.folded = :folded THEN CASE WHEN {n}.accent = :accent THEN 0 ELSE 2 END "
        f"WHEN {n}.folded > :folded AND {n}.folded < :upper THEN 4 "
        f"WHEN instr(' ' || {n}.folded, ' ' || :folded) > 0 THEN 6 "
        f"WHEN instr({n}.folded, :folded) > 1 THEN 8 END + 1 - {n}.is_subject)"
    )


@dataclass(frozen=True)
class _Step:
    """One rank (or, inside names, ranks 6-9) of a name search, as one ordered query.

    A record is answered once, at its best name: ``(rank, folded name, seq)``, least first;
    each step leaves out a name when another name of its record is better. The order in a
    step is (folded name that matched, the subject's folded name, book, entry number): the
    order of an index for every step but the last, so a step reads what it answers. In the
    exact steps the folded name that matched is the query's.
    """

    rank: int  # the step's rank (the first of them for the inside step)
    last_rank: int
    matches: str  # which names of ``n`` the step answers
    exact: bool  # the names match the query's folded name exactly
    better_possible: bool = True  # False: no other name of a record can rank before these

    @property
    def rank_sql(self) -> str:
        return str(self.rank) if self.rank == self.last_rank else _rank("n")

    @property
    def matched_sql(self) -> str:
        return ":folded" if self.exact else "n.folded"


# the order of a step's names, and the cursor's parameter each is compared with
_ORDER = (
    ("n.folded", ":after_name"),
    ("n.subject_key", ":after_key"),
    ("n.register_id", ":after_register"),
    ("n.entry_number", ":after_number"),
)
_STEPS = (
    # the same accents: index portal_names_by_accent_order
    _Step(0, 0, "n.accent = :accent AND n.is_subject = 1", exact=True, better_possible=False),
    _Step(1, 1, "n.accent = :accent AND n.is_subject = 0", exact=True),
    # the same name folded, other accents; then prefixes: index portal_names_by_folded_order
    _Step(2, 2, "n.is_subject = 1 AND n.folded = :folded AND n.accent <> :accent", exact=True),
    _Step(3, 3, "n.is_subject = 0 AND n.folded = :folded AND n.accent <> :accent", exact=True),
    _Step(4, 4, "n.is_subject = 1 AND n.folded > :folded AND n.folded < :upper", exact=False),
    _Step(5, 5, "n.is_subject = 0 AND n.folded > :folded AND n.folded < :upper", exact=False),
    # inside a name: every name is read (no index serves it)
    _Step(6, 9, "instr(n.folded, :folded) > 1", exact=False),
)
_INSIDE_STEP = 6  # its first rank: a page that stops before it goes on from there
_INSIDE_NAMES = NameKey(_INSIDE_STEP, "", "", "", 0)
_BETTER_NAME = (
    "NOT EXISTS (SELECT 1 FROM portal_names AS e WHERE e.entry_id = n.entry_id "  # noqa: S608
    f"AND e.seq <> n.seq AND ({_rank('e')}, e.folded, e.seq) < ({{rank}}, {{matched}}, n.seq))"
)
_SEARCH_STEP = (
    "SELECT {rank} AS hit_rank, {matched} AS hit_name, p.* FROM portal_names AS n "
    "CROSS JOIN portal_records AS p WHERE p.id = n.entry_id AND {conditions} "
    "ORDER BY {order} LIMIT :limit"
)


def _step_sql(step: _Step, filters: list[str], after: NameKey | None) -> str:
    """The query of one step: its names, at their best, filtered, after ``after``."""
    rank = step.rank_sql
    conditions = [step.matches, *filters]
    if step.better_possible:
        conditions.append(_BETTER_NAME.format(rank=rank, matched=step.matched_sql))
    order = list(_ORDER[1:] if step.exact else _ORDER)  # exact: one folded name, the query's
    if step.rank != step.last_rank:
        order.insert(0, (rank, ":after_rank"))
    columns = ", ".join(column for column, _ in order)
    if after is not None and after.rank >= step.rank:
        conditions.append(f"({columns}) > ({', '.join(value for _, value in order)})")
    return _SEARCH_STEP.format(
        rank=rank, matched=step.matched_sql, conditions=" AND ".join(conditions), order=columns
    )


_ID_PAGE = (
    "SELECT i.is_subject AS hit_subject, p.* FROM portal_personal_ids AS i "
    "JOIN portal_records AS p ON p.id = i.entry_id WHERE {conditions} "
    "ORDER BY i.is_subject DESC, p.register_id, p.entry_number LIMIT :limit"
)
_AFTER_ID = (
    "(i.is_subject < :after_subject OR (i.is_subject = :after_subject AND "
    "(p.register_id, p.entry_number) > (:after_register, :after_number)))"
)


def _filter_sql(where: RecordFilter) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on ``p`` (portal_records) for a filter, and their parameters."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    columns = (
        ("birth_year", "p.birth_year", where.birth_year),
        ("birth_month", "p.birth_month", where.birth_month),
        ("birth_day", "p.birth_day", where.birth_day),
        (
            "birth_lunar",
            "p.birth_date_lunar",
            None if where.birth_lunar is None else int(where.birth_lunar),
        ),
        ("sex", "p.sex", where.sex),
        ("kind", "p.kind", where.kind),
        ("district", "p.district", where.district),
        ("commune", "p.commune_code", where.commune),
    )
    for name, column, value in columns:
        if value is not None:
            conditions.append(f"{column} = :{name}")
            params[name] = value
    if where.districts is not None:  # the caller's districts; none: nothing
        scope = {f"scope{i}": d for i, d in enumerate(sorted(where.districts))}
        marks = ", ".join(f":{name}" for name in scope)
        conditions.append(f"p.district IN ({marks})" if scope else "1 = 0")
        params.update(scope)
    return conditions, params


def _name_key(row: Row) -> NameKey:
    return NameKey(
        int(row["hit_rank"]),
        row["hit_name"],
        row["search_key"] or "",
        row["register_id"],
        row["entry_number"],
    )


def _scan_json(scan: PageScan) -> dict[str, Any]:
    return {
        "page_number": scan.page_number,
        "object_key": scan.object_key,
        "sha256": scan.sha256,
        "media_type": scan.media_type,
        "size": scan.size,
    }


def _record(row: Row) -> PortalRecord:
    register_id = UUID(row["register_id"])
    return PortalRecord(
        id=UUID(row["id"]),
        register_id=register_id,
        district=row["district"],
        commune_code=row["commune_code"],
        kind=row["kind"],
        book_number=row["book_number"],
        year_from=row["year_from"],
        year_to=row["year_to"],
        entry_number=row["entry_number"],
        fields=json.loads(row["fields"]),
        subject_name=row["subject_name"],
        search_key=row["search_key"],
        accent_key=row["accent_key"],
        other_names=tuple(json.loads(row["other_names"])),
        personal_ids=tuple(json.loads(row["personal_ids"])),
        subject_personal_id=row["subject_personal_id"],
        birth_year=row["birth_year"],
        birth_month=row["birth_month"],
        birth_day=row["birth_day"],
        birth_date_lunar=bool(row["birth_date_lunar"]),
        sex=row["sex"],
        pages=tuple(json.loads(row["pages"])),
        scans=tuple(PageScan(register_id=register_id, **s) for s in json.loads(row["scans"])),
        published_at=dt.datetime.fromisoformat(row["published_at"]),
        published_version=row["published_version"],
        publication_count=row["publication_count"],
    )


def _record_params(r: PortalRecord) -> tuple[Any, ...]:
    return (
        str(r.id),
        str(r.register_id),
        r.district,
        r.commune_code,
        r.kind,
        r.book_number,
        r.year_from,
        r.year_to,
        r.entry_number,
        _json(r.fields),
        r.subject_name,
        r.search_key,
        r.accent_key,
        _json(list(r.other_names)),
        _json(list(r.personal_ids)),
        r.subject_personal_id,
        r.birth_year,
        r.birth_month,
        r.birth_day,
        int(r.birth_date_lunar),
        r.sex,
        _json(list(r.pages)),
        _json([_scan_json(s) for s in r.scans]),
        r.published_at.isoformat(),
        r.published_version,
        r.publication_count,
    )


def _working(row: Row) -> WorkingEntry:
    before = row["fields_before_correction"]
    return WorkingEntry(
        id=UUID(row["id"]),
        register_id=UUID(row["register_id"]),
        district=row["district"],
        commune_code=row["commune_code"],
        kind=row["kind"],
        entry_number=row["entry_number"],
        pages=tuple(json.loads(row["pages"])),
        fields=json.loads(row["fields"]),
        fields_before_correction=json.loads(before) if before is not None else None,
        version=row["version"],
        publication_count=row["publication_count"],
    )


def _store_record(db: Writer, record: PortalRecord) -> None:
    entry_id = str(record.id)
    db.execute(_UPSERT_RECORD, _record_params(record))
    for table in ("portal_names", "portal_personal_ids", "portal_pages"):
        db.execute(f"DELETE FROM {table} WHERE entry_id=?", (entry_id,))  # noqa: S608
    db.executemany(
        "INSERT INTO portal_names (entry_id, seq, folded, accent, is_subject, subject_key, "
        "register_id, entry_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                entry_id,
                seq,
                n.folded,
                n.accent,
                int(n.is_subject),
                record.search_key or "",
                str(record.register_id),
                record.entry_number,
            )
            for seq, n in enumerate(record.search_names)
        ],
    )
    db.executemany(
        "INSERT INTO portal_personal_ids (personal_id, entry_id, is_subject) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [(p, entry_id, int(p == record.subject_personal_id)) for p in record.personal_ids],
    )
    db.executemany(
        "INSERT INTO portal_pages (register_id, page_number, entry_id) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [(str(record.register_id), p, entry_id) for p in record.pages],
    )


class SqlPortalView(TrackedView):
    """The portal's published records, and the working state they are built from."""

    NAME = _PORTAL
    SCHEMA = _PORTAL_SCHEMA
    SCHEMA_VERSION = 2  # 2: portal_names holds each record's sort keys

    # ----- what the projection reads and writes ---------------------------------------------
    def get_register(self, register_id: UUID) -> PortalRegister | None:
        rows = self._db.query("SELECT * FROM portal_registers WHERE id=?", (str(register_id),))
        if not rows:
            return None
        data = dict(rows[0])
        data["id"] = UUID(data["id"])
        return PortalRegister(**data)

    def get_working(self, entry_id: UUID) -> WorkingEntry | None:
        rows = self._db.query("SELECT * FROM portal_working WHERE id=?", (str(entry_id),))
        return _working(rows[0]) if rows else None

    def page_scans(self, register_id: UUID, pages: Sequence[int]) -> list[PageScan]:
        if not pages:
            return []
        marks = ",".join("?" * len(pages))
        rows = self._db.query(
            f"SELECT * FROM portal_scans WHERE register_id=? AND page_number IN ({marks}) "  # noqa: S608
            "ORDER BY page_number",
            (str(register_id), *pages),
        )
        return [PageScan(**{**dict(r), "register_id": register_id}) for r in rows]

    def published_on_page(self, register_id: UUID, page_number: int) -> list[PortalRecord]:
        rows = self._db.query(
            f"{_SELECT_RECORDS} JOIN portal_pages AS g ON g.entry_id = p.id "
            "WHERE g.register_id=? AND g.page_number=? ORDER BY p.entry_number",
            (str(register_id), page_number),
        )
        return [_record(r) for r in rows]

    def save(
        self,
        position: int,
        *,
        register: PortalRegister | None = None,
        scan: PageScan | None = None,
        working: WorkingEntry | None = None,
        records: Sequence[PortalRecord] = (),
    ) -> None:
        def apply(db: Writer) -> None:
            if register is not None:
                db.execute(
                    _UPSERT_REGISTER,
                    (
                        str(register.id),
                        register.district,
                        register.commune_code,
                        register.kind,
                        register.book_number,
                        register.year_from,
                        register.year_to,
                        register.version,
                    ),
                )
            if scan is not None:
                db.execute(
                    _UPSERT_SCAN,
                    (
                        str(scan.register_id),
                        scan.page_number,
                        scan.object_key,
                        scan.sha256,
                        scan.media_type,
                        scan.size,
                    ),
                )
            if working is not None:
                before = working.fields_before_correction
                db.execute(
                    _UPSERT_WORKING,
                    (
                        str(working.id),
                        str(working.register_id),
                        working.district,
                        working.commune_code,
                        working.kind,
                        working.entry_number,
                        _json(list(working.pages)),
                        _json(working.fields),
                        _json(before) if before is not None else None,
                        working.version,
                        working.publication_count,
                    ),
                )
            for record in records:
                _store_record(db, record)

        self._db.write(self._tracking, position, apply)

    # ----- what the portal asks -------------------------------------------------------------
    def get_record(self, entry_id: UUID) -> PortalRecord | None:
        rows = self._db.query(f"{_SELECT_RECORDS} WHERE p.id=?", (str(entry_id),))
        return _record(rows[0]) if rows else None

    def get_by_register_and_number(
        self, register_id: UUID, entry_number: int
    ) -> PortalRecord | None:
        rows = self._db.query(
            f"{_SELECT_RECORDS} WHERE p.register_id=? AND p.entry_number=?",
            (str(register_id), entry_number),
        )
        return _record(rows[0]) if rows else None

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
        return [_record(r) for r in rows]

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
        conditions, params = _filter_sql(where)
        conditions.insert(0, "i.personal_id = :pid")
        params.update(pid=pid, limit=limit)
        if after is not None:
            conditions.append(_AFTER_ID)
            params.update(
                after_subject=after.is_subject,
                after_register=after.register_id,
                after_number=after.entry_number,
            )
        rows = self._db.query(_ID_PAGE.format(conditions=" AND ".join(conditions)), params)
        return [
            IdHit(IdKey(int(r["hit_subject"]), r["register_id"], r["entry_number"]), _record(r))
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
        filters, params = _filter_sql(where)
        params.update(folded=folded, accent=accent_key(query), upper=folded + _UPPER)
        if after is not None:
            params.update(
                after_rank=after.rank,
                after_name=after.matched,
                after_key=after.name_key,
                after_register=after.register_id,
                after_number=after.entry_number,
            )
        hits: list[NameHit] = []
        for step in _STEPS:
            if after is not None and after.rank > step.last_rank:
                continue  # the cursor is past this step
            if step.rank == _INSIDE_STEP and hits:
                return NamePage(hits, _INSIDE_NAMES)
            params["limit"] = limit + 1 - len(hits)
            sql = _step_sql(step, filters, after)
            hits += [NameHit(_name_key(r), _record(r)) for r in self._db.query(sql, params)]
            if len(hits) > limit:
                return NamePage(hits[:limit], hits[limit - 1].key)
        return NamePage(hits, None)
