"""The portal benchmark's filled read stores: the portal and record-history views fed through
their projections with the books of bench/portal_books.py, kept between runs (SQLite files
under ``.bench/portal/``, a PostgreSQL database ``<name>_portal_bench``) and keyed by the size
and a hash of the code that makes the rows."""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sqlite3
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bench.figures import Stopwatch, per_second
from bench.portal_books import SEED, Book, Envelopes, book_specs, make_book
from bench.portal_queries import Samples
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.history import SqlHistoryView
from infra.read_store.portal import SqlPortalView
from projections.envelope import Envelope
from projections.portal_records import PortalRecordsProjection
from projections.record_history import RecordHistoryProjection

ROOT = Path(__file__).resolve().parents[1]
# Bump when what the books hold changes other than through the code hashed below.
FILL_VERSION = 3
FILL_CODE = (
    "projections/portal_records.py",
    "projections/portal_model.py",
    "projections/record_history.py",
    "projections/envelope.py",
    "infra/read_store/portal.py",
    "infra/read_store/portal_schema.py",
    "infra/read_store/portal_writes.py",
    "infra/read_store/portal_rows.py",
    "projections/portal_answers.py",
    "infra/read_store/history.py",
    "infra/read_store/database.py",
    "infra/read_store/dialect.py",
    "bench/portal_books.py",
    "demo/entries.py",
    "demo/names.py",
    "demo/ethnic_groups.py",
    "domain/entry_fields.py",
    "domain/person_name.py",
)


def fill_key(entries: int, per_register: int) -> str:
    digest = hashlib.sha256(f"{FILL_VERSION}/{SEED}/{per_register}".encode())
    for name in FILL_CODE:
        digest.update((ROOT / name).read_bytes())
    return f"{entries}-{digest.hexdigest()[:12]}"


def fill(backend: ReadStoreBackend, entries: int, per_book: int, batch: int) -> Samples:
    """Feed the projections ``entries`` published entries; returns what the queries ask for.
    Books are drawn in a worker process while this one applies the envelopes."""
    portal = SqlPortalView(backend.database("portal"))
    history = SqlHistoryView(backend.database("history"))
    projections: list[Callable[[Envelope, int], None]] = [
        PortalRecordsProjection(portal).process,
        RecordHistoryProjection(history).process,
    ]
    samples = Samples()
    sample_rng = random.Random(SEED)
    envelopes = Envelopes()
    where = "PostgreSQL" if backend.is_postgres else "SQLite"
    clock = Stopwatch()
    last = 0.0
    filled = position = 0
    try:
        with ProcessPoolExecutor(max_workers=1) as pool:
            books = pool.map(make_book, book_specs(entries, per_book), chunksize=4)
            stream = (
                e
                for book in books
                for e in envelopes.of(book)
                if _offer(samples, sample_rng, book, e)
            )
            done = False
            while not done:
                with portal.batch(), history.batch():
                    for _ in range(batch):
                        envelope = next(stream, None)
                        if envelope is None:
                            done = True
                            break
                        position += 1
                        for process in projections:
                            process(envelope, position)
                        filled += envelope.name == "EntryPublished"
                now = clock.elapsed
                if now - last > 30 and not done:
                    last = now
                    print(
                        f"  fill ({where}): {filled:,} of {entries:,} entries, "
                        f"{envelopes.count:,} events, {per_second(envelopes.count, now):,.0f} "
                        "ev/s",
                        flush=True,
                    )
    finally:
        portal.close()
        history.close()
    seconds = clock.elapsed
    print(
        f"fill ({where}): {filled:,} published entries ({envelopes.count:,} events: books, "
        f"pages, 4 per entry) through PortalRecordsProjection and RecordHistoryProjection in "
        f"{seconds:,.0f} s: {envelopes.count / seconds:,.0f} ev/s, {filled / seconds:,.0f} "
        f"entries/s (one transaction per {batch:,} events; books drawn and validated in a "
        "worker process)",
        flush=True,
    )
    return samples


def _offer(samples: Samples, rng: random.Random, book: Book, envelope: Envelope) -> bool:
    """Sample the book's subjects once, with its first envelope (always True)."""
    if envelope.name == "RegisterCatalogued":
        for name in book.names:
            samples.offer_name(rng, name)
        for pid in book.ids:
            samples.offer_id(rng, pid)
    return True


class SqliteStore:
    """The filled views as SQLite files in ``.bench/portal/sqlite-<key>``."""

    label = "SQLite"

    def __init__(self, cache: Path, key: str) -> None:
        self.directory = cache / f"sqlite-{key}"

    def prepare(self, args: argparse.Namespace) -> Samples:
        samples = self.directory / "samples.json"
        if samples.exists() and not args.refill:
            print(f"fill (SQLite): cached in {self.directory}", flush=True)
            return Samples.from_json(samples.read_text())
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        found = fill(
            ReadStoreBackend.sqlite(self.directory), args.entries, args.per_book, args.batch
        )
        samples.write_text(found.to_json())
        return found

    def backend(self) -> ReadStoreBackend:
        return ReadStoreBackend.sqlite(self.directory)

    def server_env(self, home: Path) -> dict[str, str]:
        home.mkdir(parents=True, exist_ok=True)
        for name in ("portal.sqlite", "history.sqlite"):
            os.link(self.directory / name, home / name)  # the served home reads the cached files
        return {}


class PostgresStore:
    """The filled views as schemas ``portal`` and ``history`` of database
    ``<name>_portal_bench`` on the server of HOTICH_BENCH_DATABASE_URL."""

    label = "PostgreSQL"

    def __init__(self, url: str, key: str, sqlite: SqliteStore) -> None:
        self.sqlite = sqlite  # the same rows on SQLite, for --pg-fill copy
        parts = urlsplit(url)
        self.database = f"{parts.path.lstrip('/') or 'postgres'}_portal_bench"
        self.admin_url = url
        self.url = urlunsplit(parts._replace(path=f"/{self.database}"))
        self.key = key

    def _filled_key(self) -> str | None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS bench_fill (key TEXT, samples TEXT)")
            row = conn.execute("SELECT key FROM bench_fill").fetchone()
            return str(row[0]) if row else None

    def prepare(self, args: argparse.Namespace) -> Samples:
        if self._filled_key() == self.key and not args.refill:
            print(f"fill (PostgreSQL): cached in database {self.database}", flush=True)
            with psycopg.connect(self.url) as conn:
                row = conn.execute("SELECT samples FROM bench_fill").fetchone()
            assert row is not None
            return Samples.from_json(row[0])
        backend = self.backend()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("DELETE FROM bench_fill")
        for name in ("portal", "history", "catalogue", "progress", "chain"):
            backend.drop(name)
        if args.pg_fill == "copy":
            found = self.sqlite.prepare(args)
            self._copy(backend)
        else:
            found = fill(backend, args.entries, args.per_book, args.batch)
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("ANALYZE")
            conn.execute(
                "INSERT INTO bench_fill (key, samples) VALUES (%s, %s)",
                (self.key, found.to_json()),
            )
        return found

    def _copy(self, backend: ReadStoreBackend) -> None:
        """The rows the projections wrote on SQLite, into the views' own PostgreSQL tables
        (created by the views, as they create them), with COPY."""
        clock = Stopwatch()
        rows = 0
        for name, view in (("portal", SqlPortalView), ("history", SqlHistoryView)):
            view(backend.database(name)).close()  # creates the schema's tables and indexes
            source = sqlite3.connect(self.sqlite.directory / f"{name}.sqlite")
            tables = [
                r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            with psycopg.connect(self.url) as conn, conn.cursor() as cursor:
                for table in tables:
                    columns = [r[1] for r in source.execute(f"PRAGMA table_info({table})")]
                    target = sql.Identifier(name, table)
                    names = sql.SQL(", ").join(map(sql.Identifier, columns))
                    cursor.execute(sql.SQL("TRUNCATE {}").format(target))
                    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(target, names)
                    with cursor.copy(copy) as out:
                        for row in source.execute(f"SELECT * FROM {table}"):  # noqa: S608
                            out.write_row(row)
                            rows += 1
            source.close()
        with psycopg.connect(self.url, autocommit=True) as conn:  # as autovacuum would have
            for name in ("portal", "history"):
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(name)))
                conn.execute("VACUUM (ANALYZE)")
        print(
            f"fill (PostgreSQL): {rows:,} rows the projections wrote on SQLite copied into the "
            f"views' tables in {clock.elapsed:,.0f} s (--pg-fill copy; "
            "--pg-fill project feeds the projections on PostgreSQL, ~500 ev/s here)",
            flush=True,
        )

    def prewarm(self) -> str:
        """Every table and index of the portal and history views read into the server's
        buffers (pg_prewarm), as a server that has served a while holds them; how it went."""
        clock = Stopwatch()
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
                row = conn.execute(
                    "SELECT sum(pg_prewarm(c.oid)) FROM pg_class AS c JOIN pg_namespace AS n "
                    "ON n.oid = c.relnamespace WHERE n.nspname IN ('portal', 'history') "
                    "AND c.relkind IN ('r', 'i')"
                ).fetchone()
        except psycopg.Error as e:
            reason = str(e).splitlines()[0]
            return f"pg_prewarm unavailable ({reason}); {self._read_through()}"
        blocks = int(row[0] or 0) if row else 0
        return f"pg_prewarm read {blocks:,} blocks in {clock.elapsed:,.1f} s"

    def _read_through(self) -> str:
        """The warm-up pass without pg_prewarm: every table of the views read whole (into the
        machine's file cache, and as much of the server's buffers as a scan may take)."""
        clock = Stopwatch()
        rows = 0
        with psycopg.connect(self.url, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema IN ('portal', 'history')"
            ).fetchall()
            for schema, table in tables:
                query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
                found = conn.execute(query).fetchone()
                rows += int(found[0]) if found else 0
        return f"read {len(tables)} tables ({rows:,} rows) whole in {clock.elapsed:,.1f} s"

    def backend(self) -> ReadStoreBackend:
        return ReadStoreBackend.postgres(self.url)

    def server_env(self, home: Path) -> dict[str, str]:
        home.mkdir(parents=True, exist_ok=True)
        return {"HOTICH_READ_DATABASE_URL": self.url}
