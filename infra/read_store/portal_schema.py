"""The portal view's tables and the statements that write them (infra/read_store/portal.py).

Portal lookups use indexes: personal IDs (``portal_personal_ids``, keyed by ID), names
(``portal_names``), the words of names (``portal_words``, with ``portal_vocabulary``: each
word once) and ``(register_id, entry_number)``. Each searchable name carries its record's sort
keys (the subject's folded name, book, entry number), and its two indexes hold them in the
order a search answers, so a page of exact or prefix matches reads about as many index entries
as it returns, however common the name. ``portal_records.answer`` is the record as the portal
answers it (infra/read_store/portal_answers.py), written when the record is.
"""

from __future__ import annotations

from infra.read_store.database import upsert_sql

# portal_names' two indexes end with its key (entry_id, seq): SQLite's indexes of a WITHOUT
# ROWID table hold it anyway, and PostgreSQL can then answer a search step from the index alone.
PORTAL_SCHEMA = """
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
    version INTEGER NOT NULL, publication_count INTEGER NOT NULL, provenance TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS portal_records (
    id TEXT PRIMARY KEY, register_id TEXT NOT NULL, district TEXT NOT NULL,
    commune_code TEXT NOT NULL, kind TEXT NOT NULL, book_number TEXT, year_from INTEGER,
    year_to INTEGER, entry_number INTEGER NOT NULL, fields TEXT NOT NULL, subject_name TEXT,
    search_key TEXT, accent_key TEXT, other_names TEXT NOT NULL, personal_ids TEXT NOT NULL,
    subject_personal_id TEXT, birth_year INTEGER, birth_month INTEGER, birth_day INTEGER,
    birth_date_lunar INTEGER NOT NULL, sex TEXT, pages TEXT NOT NULL, scans TEXT NOT NULL,
    published_at TEXT NOT NULL, published_version INTEGER NOT NULL,
    publication_count INTEGER NOT NULL, provenance TEXT NOT NULL, answer TEXT NOT NULL);
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
CREATE TABLE IF NOT EXISTS portal_words (
    word TEXT NOT NULL, entry_id TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (word, entry_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS portal_vocabulary (word TEXT PRIMARY KEY, names INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS portal_personal_ids (
    personal_id TEXT NOT NULL, entry_id TEXT NOT NULL, is_subject INTEGER NOT NULL,
    PRIMARY KEY (personal_id, entry_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS portal_personal_ids_by_entry ON portal_personal_ids (entry_id);
CREATE TABLE IF NOT EXISTS portal_pages (
    register_id TEXT NOT NULL, page_number INTEGER NOT NULL, entry_id TEXT NOT NULL,
    PRIMARY KEY (register_id, page_number, entry_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS portal_pages_by_entry ON portal_pages (entry_id);
"""
READ_INDEXES = (
    "portal_records_by_birth",
    "portal_names_by_accent_order",
    "portal_names_by_folded_order",
)
RECORD_COLUMNS = (
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
    "provenance",
    "answer",
)
UPSERT_RECORD = upsert_sql("portal_records", RECORD_COLUMNS, key=("id",))
UPSERT_REGISTER = upsert_sql(
    "portal_registers",
    ("id", "district", "commune_code", "kind", "book_number", "year_from", "year_to", "version"),
    key=("id",),
)
UPSERT_SCAN = upsert_sql(
    "portal_scans",
    ("register_id", "page_number", "object_key", "sha256", "media_type", "size"),
    key=("register_id", "page_number"),
)
UPSERT_WORKING = upsert_sql(
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
        "provenance",
    ),
    key=("id",),
)
INSERT_NAME = (
    "INSERT INTO portal_names (entry_id, seq, folded, accent, is_subject, subject_key, "
    "register_id, entry_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_WORD = "INSERT INTO portal_words (word, entry_id, seq) VALUES (?, ?, ?)"
DELETE_WORD = "DELETE FROM portal_words WHERE word = ? AND entry_id = ? AND seq = ?"
COUNT_WORD = (  # how many names hold the word (never decreased: an estimate for the planner)
    "INSERT INTO portal_vocabulary (word, names) VALUES (?, ?) "
    "ON CONFLICT (word) DO UPDATE SET names = portal_vocabulary.names + excluded.names"
)
INSERT_PERSONAL_ID = (
    "INSERT INTO portal_personal_ids (personal_id, entry_id, is_subject) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
INSERT_PAGE = (
    "INSERT INTO portal_pages (register_id, page_number, entry_id) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
