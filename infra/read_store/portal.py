"""SqlPortalView: the portal's published records, in one view database.

The database (SQLite or PostgreSQL, infra/read_store/database.py) has one writer, which stores
each save and its position in one transaction, and many readers, who see whole saves. Every
read is a single SELECT.

Portal lookups use indexes: personal IDs (``portal_personal_ids``, keyed by ID), names
(``portal_names`` by folded name, for exact and prefix matches) and ``(register_id,
entry_number)``. A "contains" search reads the names table; it runs only when the exact and
prefix matches did not fill the page of results.

The portal and the record history (infra/read_store/history.py) may share one database
(their tables and tracking rows differ).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from api.portal import IdHit, IdKey, NameHit, NameKey, NamePage, RecordFilter
from domain.person_name import accent_key, fold
from infra.read_store.database import (
    Row,
    TrackedView,
    Writer,
    upsert_sql,
)
from projections.portal_records import PageScan, PortalRecord, PortalRegister, WorkingEntry


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# ----- portal records -----------------------------------------------------------------------

_PORTAL = "portal_records"
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
    entry_id TEXT NOT NULL, folded TEXT NOT NULL, accent TEXT NOT NULL,
    is_subject INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS portal_names_by_folded ON portal_names (folded, is_subject);
CREATE INDEX IF NOT EXISTS portal_names_by_entry ON portal_names (entry_id);
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

# Search tiers, best first: (rank of a matching name, which names match). A subject's name
# ranks before another person's name of the same tier (``1 - is_subject``).
_UPPER = "\U0010ffff"  # sorts after every character: "abc" <= x < "abc" + _UPPER is a prefix
_SEARCH_TIERS = (
    ("CASE WHEN accent = :accent THEN 0 ELSE 2 END + 1 - is_subject", "folded = :folded"),
    ("4 + 1 - is_subject", "folded > :folded AND folded < :upper"),
    (
        "CASE WHEN instr(' ' || folded, ' ' || :folded) > 0 THEN 6 ELSE 8 END + 1 - is_subject",
        "instr(folded, :folded) > 1",
    ),
)
_SEARCH = (
    "SELECT p.* FROM (SELECT entry_id, MIN({rank}) AS rank FROM portal_names WHERE {where} "
    "GROUP BY entry_id) AS m JOIN portal_records AS p ON p.id = m.entry_id "
    "ORDER BY m.rank, p.search_key, p.register_id, p.entry_number LIMIT :limit"
)

# Paged search (search_by_name_page): the same tiers and ranks, each tier leaving out the
# records a better tier holds (a name of theirs matches it), so every record is in one tier
# only and the pages of a search never repeat a record. The highest rank of each tier:
_TIER_LAST_RANK = (3, 5, 9)
# The first key of the "inside a name" tier: a page that stops before it goes on from there.
_INSIDE_TIER = 2
_INSIDE_NAMES = NameKey(6, "", "", 0)
_BETTER_TIER = (
    None,
    "NOT EXISTS (SELECT 1 FROM portal_names AS e WHERE e.entry_id = m.entry_id "
    "AND e.folded = :folded)",
    "NOT EXISTS (SELECT 1 FROM portal_names AS e WHERE e.entry_id = m.entry_id "
    "AND e.folded >= :folded AND e.folded < :upper)",
)
_SEARCH_PAGE = (
    "SELECT m.rank AS hit_rank, p.* FROM (SELECT entry_id, MIN({rank}) AS rank "
    "FROM portal_names WHERE {where} GROUP BY entry_id) AS m "
    "JOIN portal_records AS p ON p.id = m.entry_id WHERE {conditions} "
    "ORDER BY m.rank, COALESCE(p.search_key, ''), p.register_id, p.entry_number LIMIT :limit"
)
_AFTER_NAME = (
    "(m.rank > :after_rank OR (m.rank = :after_rank AND "
    "(COALESCE(p.search_key, ''), p.register_id, p.entry_number) > "
    "(:after_key, :after_register, :after_number)))"
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
        int(row["hit_rank"]), row["search_key"] or "", row["register_id"], row["entry_number"]
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
        "INSERT INTO portal_names (entry_id, folded, accent, is_subject) VALUES (?, ?, ?, ?)",
        [(entry_id, n.folded, n.accent, int(n.is_subject)) for n in record.search_names],
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
        """Published records by name, best match first (see projections.portal_records)."""
        folded = fold(query)
        if not folded or limit < 1:
            return []
        params = {
            "folded": folded,
            "accent": accent_key(query),
            "upper": folded + _UPPER,
            "limit": limit,
        }
        found: dict[UUID, PortalRecord] = {}
        for rank, where in _SEARCH_TIERS:
            # ask for as many more as were found already: they may match this tier too
            params["limit"] = limit + len(found)
            for row in self._db.query(_SEARCH.format(rank=rank, where=where), params):
                record = _record(row)
                if record.id not in found:
                    found[record.id] = record
            if len(found) >= limit:
                break
        return list(found.values())[:limit]

    # ----- paged queries of the portal's API (api/portal.py) --------------------------------
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

        The "inside a name" tier reads every name (no index serves it): once the better tiers
        gave this page a match, the page ends there and its ``next`` starts at that tier, so
        a search whose name is found costs index reads only, and the broader matches are read
        when the next page is asked for.
        """
        folded = fold(query)
        if not folded or limit < 1:
            return NamePage([], None)
        filters, params = _filter_sql(where)
        params.update(folded=folded, accent=accent_key(query), upper=folded + _UPPER)
        if after is not None:
            params.update(
                after_rank=after.rank,
                after_key=after.name_key,
                after_register=after.register_id,
                after_number=after.entry_number,
            )
        hits: list[NameHit] = []
        tiers = zip(_SEARCH_TIERS, _TIER_LAST_RANK, _BETTER_TIER, strict=True)
        for tier, ((rank, matches), last_rank, better) in enumerate(tiers):
            if after is not None and after.rank > last_rank:
                continue  # the cursor is past this tier
            if tier == _INSIDE_TIER and hits:
                return NamePage(hits, _INSIDE_NAMES)
            conditions = list(filters)
            if better is not None:
                conditions.append(better)
            if after is not None:
                conditions.append(_AFTER_NAME)
            sql = _SEARCH_PAGE.format(
                rank=rank, where=matches, conditions=" AND ".join(conditions) or "1 = 1"
            )
            params["limit"] = limit + 1 - len(hits)  # one more: is there a next page?
            hits += [NameHit(_name_key(r), _record(r)) for r in self._db.query(sql, params)]
            if len(hits) > limit:
                return NamePage(hits[:limit], hits[limit - 1].key)
        return NamePage(hits, None)
