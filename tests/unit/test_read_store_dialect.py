"""The read stores' SQL, written once for SQLite, as PostgreSQL gets it; and where the settings
put the views."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bootstrap.settings import Settings
from bootstrap.views import read_store_backend
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.database import upsert_sql
from infra.read_store.dialect import postgres_schema, postgres_statement

EVENTS = "postgresql://hotich:secret@db.example:5432/hotich"
VIEWS = "postgresql://hotich:secret@replica.example:5432/views"


def test_placeholders_become_psycopgs_outside_quotes() -> None:
    assert postgres_statement("SELECT * FROM t WHERE a=? AND b=:name AND c=:other") == (
        b"SELECT * FROM t WHERE a=%s AND b=%(name)s AND c=%(other)s"
    )
    assert postgres_statement("SELECT '?', 'it''s :x', \"col:y\" FROM t WHERE a=?") == (
        b"SELECT '?', 'it''s :x', \"col:y\" FROM t WHERE a=%s"
    )
    assert postgres_statement("SELECT x::text FROM t WHERE y LIKE '5%' AND z % 2 = ?") == (
        b"SELECT x::text FROM t WHERE y LIKE '5%%' AND z %% 2 = %s"
    )


def test_instr_becomes_strpos() -> None:
    assert postgres_statement("SELECT instr(' ' || folded, ' ' || :q) FROM n") == (
        b"SELECT strpos(' ' || folded, ' ' || %(q)s) FROM n"
    )
    assert postgres_statement("SELECT 'instr(' FROM n") == b"SELECT 'instr(' FROM n"


def test_a_schema_gets_bigints_code_point_text_and_no_rowid_clause() -> None:
    ddl = """
    CREATE TABLE IF NOT EXISTS pages (
        register_id TEXT NOT NULL, page_number INTEGER NOT NULL, note TEXT DEFAULT 'TEXT',
        PRIMARY KEY (register_id, page_number)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS pages_by_note ON pages (note);
    """
    assert postgres_schema(ddl) == [
        'CREATE TABLE IF NOT EXISTS pages (\n        register_id TEXT COLLATE "C" NOT NULL, '
        "page_number BIGINT NOT NULL, note TEXT COLLATE \"C\" DEFAULT 'TEXT',\n"
        "        PRIMARY KEY (register_id, page_number))",
        "CREATE INDEX IF NOT EXISTS pages_by_note ON pages (note)",
    ]


def test_an_upsert_replaces_every_column_but_the_key() -> None:
    assert upsert_sql("plan", ("district", "target", "done"), key=("district",)) == (
        "INSERT INTO plan (district, target, done) VALUES (?, ?, ?) "
        "ON CONFLICT (district) DO UPDATE SET target=excluded.target, done=excluded.done"
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"HOTICH_DATABASE_URL": EVENTS}, EVENTS),
        ({"HOTICH_READ_DATABASE_URL": VIEWS}, VIEWS),
        ({"HOTICH_DATABASE_URL": EVENTS, "HOTICH_READ_DATABASE_URL": VIEWS}, VIEWS),
    ],
)
def test_views_go_to_the_read_database_else_the_event_stores_else_sqlite(
    env: dict[str, str], expected: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("HOTICH_DATABASE_URL", "HOTICH_READ_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    backend = read_store_backend(Settings(home=tmp_path))
    if expected is None:
        assert backend == ReadStoreBackend.sqlite(tmp_path)
        assert backend.path("portal__20261128t041200") == tmp_path / (
            "portal__20261128t041200.sqlite"
        )
    else:
        assert backend == ReadStoreBackend.postgres(expected)
        assert "secret" not in repr(backend)


def test_a_read_database_url_must_be_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTICH_READ_DATABASE_URL", "sqlite:///views.db")
    with pytest.raises(ValidationError, match="HOTICH_READ_DATABASE_URL must look like"):
        Settings()
