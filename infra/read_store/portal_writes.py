"""How the portal view stores a projection's batch: books, scans, working entries, and each
record with the rows that find it (names, words of names, personal IDs, pages)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from typing import Any
from uuid import UUID

from infra.read_store.database import Writer, chunked, marks, row_params
from infra.read_store.portal_rows import json_text, provenance_text, record_params
from infra.read_store.portal_schema import (
    COUNT_WORD,
    DELETE_WORD,
    INSERT_NAME,
    INSERT_PAGE,
    INSERT_PERSONAL_ID,
    INSERT_WORD,
    UPSERT_RECORD,
    UPSERT_REGISTER,
    UPSERT_SCAN,
    UPSERT_WORKING,
)
from projections.portal_model import (
    PortalBatch,
    PortalRecord,
    WorkingEntry,
)


def words_of(folded: str) -> set[str]:
    """The words of a folded name (fold() leaves single spaces between them)."""
    return set(folded.split(" "))


def _forget_rows(db: Writer, entry_ids: list[str]) -> None:
    """Delete the rows that find these records: their words (by the names they had), names,
    personal IDs and pages."""
    sql = f"SELECT entry_id, seq, folded FROM portal_names WHERE entry_id IN ({marks(len(entry_ids))})"  # noqa: S608, E501
    old = [
        (word, row["entry_id"], row["seq"])
        for row in db.query(sql, entry_ids)
        for word in words_of(row["folded"])
    ]
    if old:
        db.executemany(DELETE_WORD, old)
    for table in ("portal_names", "portal_personal_ids", "portal_pages"):
        db.execute(f"DELETE FROM {table} WHERE entry_id IN ({marks(len(entry_ids))})", entry_ids)  # noqa: S608


def store_records(
    db: Writer, records: Iterable[PortalRecord], new: Collection[UUID] = frozenset()
) -> None:
    """Upsert the records and replace their names, words, IDs and pages, a statement per table
    (``new``: records never stored, whose rows need no replacing)."""
    records = list(records)
    if not records:
        return
    db.executemany(UPSERT_RECORD, [record_params(r) for r in records])
    for chunk in chunked(str(r.id) for r in records if r.id not in new):
        _forget_rows(db, chunk)
    names: list[tuple[Any, ...]] = []
    words: list[tuple[str, str, int]] = []
    ids: list[tuple[str, str, int]] = []
    pages: list[tuple[str, int, str]] = []
    counts: Counter[str] = Counter()
    for record in records:
        entry_id, register_id = str(record.id), str(record.register_id)
        subject_key = record.search_key or ""
        for seq, n in enumerate(record.search_names):
            names.append(
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
            )
            name_words = words_of(n.folded)
            words += [(word, entry_id, seq) for word in name_words]
            counts.update(name_words)
        ids += [(p, entry_id, int(p == record.subject_personal_id)) for p in record.personal_ids]
        pages += [(register_id, p, entry_id) for p in record.pages]
    rows: tuple[tuple[str, list[Any]], ...] = (
        (INSERT_NAME, names),
        (INSERT_WORD, words),
        (COUNT_WORD, sorted(counts.items())),
        (INSERT_PERSONAL_ID, ids),
        (INSERT_PAGE, pages),
    )
    for sql, params in rows:
        if params:
            db.executemany(sql, params)


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
        provenance_text(working.provenance),
    )


def apply_batch(db: Writer, batch: PortalBatch) -> None:
    for sql, rows in (
        (UPSERT_REGISTER, [row_params(r) for r in batch.registers.values()]),
        (UPSERT_SCAN, [row_params(s) for s in batch.scans.values()]),
        (UPSERT_WORKING, [_working_params(w) for w in batch.working.values()]),
    ):
        if rows:
            db.executemany(sql, rows)
    store_records(db, batch.records.values(), batch.new_records)
