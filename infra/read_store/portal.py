"""SqlPortalView: the portal's published records, in one view database.

The database (SQLite or PostgreSQL, infra/read_store/database.py) has one writer, which stores
each save and its position in one transaction, and many readers, who see whole saves. Every
read is a single SELECT (a search inside names: one on the vocabulary first).

The tables and their indexes are in infra/read_store/portal_schema.py, how a batch is written in
infra/read_store/portal_writes.py, the search's SQL in infra/read_store/portal_search.py and
the word index it reads for a search inside names in infra/read_store/portal_words.py; the
paged queries in infra/read_store/portal_pages.py. The API's answers are the documents the
view stores with each record (projections/portal_answers.py).

The portal and the record history (infra/read_store/history.py) may share one database
(their tables and tracking rows differ).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import UUID

from infra.read_store.database import Row, TrackedView, chunked, wanted_pairs
from infra.read_store.portal_pages import id_page, name_page
from infra.read_store.portal_rows import (
    ANSWER_COLUMNS,
    answer_of_row,
    record_of_row,
    working_of_row,
)
from infra.read_store.portal_schema import PORTAL_SCHEMA, READ_INDEXES
from infra.read_store.portal_writes import apply_batch
from projections.portal_answers import PortalAnswer
from projections.portal_model import (
    PageKey,
    PageScan,
    PortalBatch,
    PortalRecord,
    PortalRegister,
    PortalView,
    WorkingEntry,
)
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

_SELECT_RECORDS = "SELECT p.* FROM portal_records AS p"
_SELECT_ANSWERS = f"SELECT {ANSWER_COLUMNS} FROM portal_records AS p"  # noqa: S608
_BY_ID = " WHERE p.id=?"
_BY_NUMBER = " WHERE p.register_id=? AND p.entry_number=?"
_RECORD_BY_ID, _RECORD_BY_NUMBER = _SELECT_RECORDS + _BY_ID, _SELECT_RECORDS + _BY_NUMBER
_ANSWER_BY_ID, _ANSWER_BY_NUMBER = _SELECT_ANSWERS + _BY_ID, _SELECT_ANSWERS + _BY_NUMBER
_ON_WANTED_PAGES = (  # after wanted_pairs: (register id, page number)
    f"{_SELECT_RECORDS} WHERE p.id IN (SELECT g.entry_id FROM wanted "  # noqa: S608
    "JOIN portal_pages AS g ON g.register_id = wanted.a AND g.page_number = wanted.b) "
    "ORDER BY p.register_id, p.entry_number"
)


def _register_of_row(row: Row) -> PortalRegister:
    data = dict(row)
    data["id"] = UUID(data["id"])
    return PortalRegister(**data)


class SqlPortalView(TrackedView, PortalView):
    """The portal's published records, and the working state they are built from."""

    NAME = "portal_records"
    SCHEMA = PORTAL_SCHEMA
    READ_INDEXES = READ_INDEXES
    SCHEMA_VERSION = 3  # 2: portal_names holds sort keys; 3: word index, answers, provenance

    # ----- what the projection reads and writes ---------------------------------------------
    def get_register(self, register_id: UUID) -> PortalRegister | None:
        return self._row_by_id(_register_of_row, "portal_registers", register_id)

    def get_working(self, entry_id: UUID) -> WorkingEntry | None:
        return self._row_by_id(working_of_row, "portal_working", entry_id)

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
        registers = map(_register_of_row, self._rows_by_ids("portal_registers", register_ids))
        return {register.id: register for register in registers}

    def get_workings(self, entry_ids: Collection[UUID]) -> dict[UUID, WorkingEntry]:
        workings = map(working_of_row, self._rows_by_ids("portal_working", entry_ids))
        return {working.id: working for working in workings}

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
        self._db.write(self._tracking, position, lambda db: apply_batch(db, batch))

    # ----- what the portal asks -------------------------------------------------------------
    def get_record(self, entry_id: UUID) -> PortalRecord | None:
        return self._first(record_of_row, _RECORD_BY_ID, (str(entry_id),))

    def get_by_register_and_number(
        self, register_id: UUID, entry_number: int
    ) -> PortalRecord | None:
        return self._first(record_of_row, _RECORD_BY_NUMBER, (str(register_id), entry_number))

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

    # ----- paged queries of the portal API (projections/portal_queries.py) -------------------
    def find_by_personal_id_page(
        self, personal_id: str, *, where: RecordFilter, after: IdKey | None, limit: int
    ) -> list[IdHit]:
        """Published records holding the ID, in the order of ``find_by_personal_id``, after
        ``after``, filtered; at most ``limit``."""
        rows = id_page(self._db, personal_id, "p.*", where=where, after=after, limit=limit)
        return [IdHit(key, record_of_row(r)) for key, r in rows]

    def search_by_name_page(
        self, query: str, *, where: RecordFilter, after: NameKey | None, limit: int
    ) -> NamePage:
        """Published records by name, ranked as ``search_by_name`` ranks them, after
        ``after``, filtered; at most ``limit`` (infra/read_store/portal_pages.py)."""
        rows, after_page = name_page(self._db, query, "p.*", where=where, after=after, limit=limit)
        return NamePage([NameHit(key, record_of_row(r)) for key, r in rows], after_page)

    # ----- the answers of the portal API: the stored documents --------------------------------
    def get_answer(self, entry_id: UUID) -> PortalAnswer | None:
        return self._first(answer_of_row, _ANSWER_BY_ID, (str(entry_id),))

    def get_answer_by_register_and_number(
        self, register_id: UUID, entry_number: int
    ) -> PortalAnswer | None:
        return self._first(answer_of_row, _ANSWER_BY_NUMBER, (str(register_id), entry_number))

    def find_answers_by_personal_id_page(
        self, personal_id: str, *, where: RecordFilter, after: IdKey | None, limit: int
    ) -> list[IdAnswer]:
        """``find_by_personal_id_page``'s records, as answered."""
        rows = id_page(self._db, personal_id, ANSWER_COLUMNS, where=where, after=after, limit=limit)
        return [IdAnswer(key, answer_of_row(r)) for key, r in rows]

    def search_answers_page(
        self, query: str, *, where: RecordFilter, after: NameKey | None, limit: int
    ) -> AnswerPage:
        """``search_by_name_page``'s records, as answered."""
        rows, after_page = name_page(
            self._db, query, ANSWER_COLUMNS, where=where, after=after, limit=limit
        )
        return AnswerPage([NameAnswer(key, answer_of_row(r)) for key, r in rows], after_page)
