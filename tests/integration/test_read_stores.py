"""Where views live: a view database by name on SQLite files or in PostgreSQL schemas, the same
statements and rows on both, and views opened, moved to other names and dropped."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from pathlib import Path

import psycopg
import pytest

from infra.read_store.backend import ReadStoreBackend
from infra.read_store.catalogue import SqlCatalogueView
from infra.read_store.database import ReadDatabase, TrackedView, ViewSchemaError, Writer
from infra.read_store.envelope_models import EnvelopeReadModels
from projections.catalogue import EntryRow, RegisterRow
from tests.integration.conftest import postgres_url
from tests.integration.read_stores import ReadStores

GENERATION = "portal__20261128t041200"
TABLE = (
    "CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "pages INTEGER NOT NULL, alive INTEGER NOT NULL)"
)


def people(db: ReadDatabase) -> list[tuple[object, ...]]:
    return [tuple(r) for r in db.query("SELECT * FROM people ORDER BY id")]


def add(db: ReadDatabase, position: int, *rows: tuple[object, ...]) -> None:
    def apply(writer: Writer) -> None:
        writer.executemany(
            "INSERT INTO people (id, name, pages, alive) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name=excluded.name, pages=excluded.pages",
            rows,
        )

    db.write("people", position, apply)


def schemas(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {str(r[0]) for r in conn.execute("SELECT nspname FROM pg_namespace")}


@pytest.fixture
def db(read_store: ReadStores) -> ReadDatabase:
    database = read_store.database("people")
    database.create(TABLE)
    return database


def test_rows_are_read_by_name_and_by_index_with_the_same_types(db: ReadDatabase) -> None:
    add(db, 1, (1, "Đặng Văn Đức", 300, True), (2, "Lò Thị Mai", 200, False))
    row = db.query("SELECT * FROM people WHERE name = :name", {"name": "Đặng Văn Đức"})[0]
    assert (row["id"], row["name"], row[2], row["alive"]) == (1, "Đặng Văn Đức", 300, 1)
    assert dict(row) == {"id": 1, "name": "Đặng Văn Đức", "pages": 300, "alive": 1}
    assert row.keys() == ["id", "name", "pages", "alive"]
    ((total, count),) = db.query("SELECT SUM(pages), COUNT(*) FROM people")
    assert (total, count) == (500, 2)
    assert type(total) is int  # not PostgreSQL's Decimal
    assert db.query("SELECT id FROM people WHERE instr(name, ?) > 1", ("Thị",))[0][0] == 2
    assert db.query("SELECT id FROM people WHERE name LIKE '%Mai'")[0][0] == 2
    assert db.position("people") == 1


def test_a_save_at_or_before_the_position_is_dropped(db: ReadDatabase) -> None:
    add(db, 5, (1, "A", 1, True))
    add(db, 5, (1, "B", 1, True))
    add(db, 4, (2, "C", 1, True))
    assert people(db) == [(1, "A", 1, 1)]
    add(db, 6, (1, "B", 2, True))
    assert people(db) == [(1, "B", 2, 1)]
    assert db.position("people") == 6
    assert db.position("people@hotich.events.v1:0") == 0  # another stream of the view


def test_a_rolled_back_batch_leaves_rows_and_positions_unchanged(db: ReadDatabase) -> None:
    add(db, 1, (1, "A", 1, True))
    seen_outside: list[object] = []

    def two_saves_then_a_failure() -> None:
        with db.batch():
            add(db, 2, (2, "B", 1, True))
            add(db, 3, (1, "A again", 9, False))
            assert db.position("people") == 3  # the batch sees itself
            assert len(people(db)) == 2
            reader = threading.Thread(target=lambda: seen_outside.append(people(db)))
            reader.start()
            reader.join()
            raise RuntimeError("the runner failed")

    with pytest.raises(RuntimeError, match="the runner failed"):
        two_saves_then_a_failure()
    assert seen_outside == [[(1, "A", 1, 1)]]  # another thread never saw the batch
    assert people(db) == [(1, "A", 1, 1)]
    assert db.position("people") == 1
    add(db, 2, (2, "B", 1, True))  # the runner tries again from the position kept
    assert people(db) == [(1, "A", 1, 1), (2, "B", 1, 1)]


def test_a_view_database_is_a_file_or_a_schema_named_by_any_generation(
    read_store: ReadStores,
) -> None:
    backend = read_store.backend
    db = read_store.database(GENERATION)
    db.create(TABLE)
    add(db, 1, (1, "A", 1, True))
    again = read_store.database(GENERATION)  # another process opening the same name
    assert people(again) == [(1, "A", 1, 1)]
    db.close()
    again.close()
    if backend.directory is not None:
        path = backend.directory / f"{GENERATION}.sqlite"
        assert path.exists()
        path.with_name(path.name + "-shm").touch()
        path.with_name(path.name + "-wal").touch()
        backend.drop(GENERATION)
        assert not list(backend.directory.glob(f"{GENERATION}.sqlite*"))
    else:
        assert backend.url is not None
        assert GENERATION in schemas(backend.url)
        backend.drop(GENERATION)
        assert GENERATION not in schemas(backend.url)
    backend.drop(GENERATION)  # nothing left: nothing happens


@pytest.mark.parametrize(
    "name",
    ["Portal", "portal-1", "", "public", "pg_catalog", "events", "service", "a" * 64, "a.b"],
)
def test_names_that_are_not_view_databases_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="view database"):
        ReadStoreBackend.sqlite(tmp_path).database(name)
    with pytest.raises(ValueError, match="view database"):
        ReadStoreBackend.postgres(postgres_url()).drop(name)


def test_envelope_read_models_open_on_a_directory_or_under_other_names(
    read_store: ReadStores, tmp_path: Path
) -> None:
    models = EnvelopeReadModels.open(tmp_path / "home")
    models.close()
    assert sorted(p.name for p in (tmp_path / "home").glob("*.sqlite")) == [
        "history.sqlite",
        "portal.sqlite",
        "progress.sqlite",
    ]
    for name in ("progress", "history", GENERATION):
        read_store.database(name)  # empty now, dropped when the test ends
    rebuilt = EnvelopeReadModels.open(read_store.backend, names={"portal": GENERATION})
    try:
        assert (rebuilt.portal.position(), rebuilt.progress.position()) == (0, 0)
    finally:
        rebuilt.close()
    assert "portal_records" in read_store.dump(GENERATION)
    assert "entries" in read_store.dump("progress")


def test_the_catalogue_lists_a_districts_books_and_entries(read_store: ReadStores) -> None:
    view = SqlCatalogueView(read_store.database("catalogue"))
    book = RegisterRow(uuid.uuid4(), "026", "00718", "birth", 20, 40, 1990, 1992, "01", 1)
    entries = [
        EntryRow(uuid.uuid4(), book.id, "026", "00718", "birth", n, status, f"Lò Văn {n}", None, 1)
        for n, status in ((1, "keyed"), (2, "verified"), (3, "keyed"))
    ]
    with view.batch():
        view.save(1, register=book, entry=None)
        for position, entry in enumerate(entries, start=2):
            view.save(position, register=None, entry=entry)
    view.save(5, register=None, entry=dataclasses.replace(entries[1], published=True))
    assert view.position() == 5
    assert view.get_register(book.id) == book
    assert view.list_registers("026", after=None, limit=10) == [book]
    assert view.list_registers("026", after=f"00718/{book.id}", limit=10) == []
    keyed = view.list_entries("026", status="keyed", after=None, limit=10)
    assert [e.entry_number for e in keyed] == [1, 3]
    every = view.list_entries("026", status=None, after=(str(book.id), 1), limit=10)
    assert [(e.entry_number, e.published) for e in every] == [(2, True), (3, False)]
    assert view.count_entries("026", status=None) == 3
    assert view.count_entries("026", status="verified") == 1
    assert view.count_entries("027", status=None) == 0
    view.close()


class _Books(TrackedView):
    NAME = "books"
    SCHEMA = "CREATE TABLE IF NOT EXISTS books (id INTEGER PRIMARY KEY, title TEXT NOT NULL)"
    SCHEMA_VERSION = 2


def test_a_view_refuses_tables_of_another_version_and_says_to_rebuild(
    read_store: ReadStores,
) -> None:
    db = read_store.database("books")
    _Books(db)
    _Books(db)  # its own version: opened again
    db.execute("UPDATE view_schemas SET version = 1 WHERE view = 'books'")
    with pytest.raises(ViewSchemaError, match=r"version 1, this hotich reads version 2.*rebuild"):
        _Books(db)
    # filled before versions were kept: version 1
    db.execute("DELETE FROM view_schemas")
    db.write("books", 7, lambda writer: None)
    with pytest.raises(ViewSchemaError, match="version 1"):
        _Books(db)
    # a copy never fed is this version's
    other = read_store.database("books__20261202t000000")
    _Books(other)
    assert [tuple(r) for r in other.query("SELECT view, version FROM view_schemas")] == [
        ("books", 2)
    ]
