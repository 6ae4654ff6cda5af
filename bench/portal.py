"""Portal benchmark: ID lookups and folded-name searches through the running API, against the
same queries asked of the read store directly.

1. **Fill.** The portal and record-history views are filled with ``--entries`` published entries
   (1,000,000 by default) through their projections (``PortalRecordsProjection``,
   ``RecordHistoryProjection``): envelopes are built in memory, in log order, for catalogued
   books (communes and districts of the admin units CSV), their scanned pages, and each entry's
   ``EntryKeyed`` / ``EntrySecondKeyed`` / ``EntryVerified`` / ``EntryPublished`` — fields drawn
   like the demo's (demo/names.py: Hà Giang's ethnic groups), normalised and checked by
   ``validate_fields`` (personal IDs against sex and year of birth). Envelopes carry hashes but
   no signatures: a projection trusts what its runner checked, and signing 5 million events
   would take longer than the benchmark. One ``batch()`` (transaction) per ``--batch`` events.
   On PostgreSQL the projections run at ~500 ev/s (a round trip per statement), so by default
   (``--pg-fill copy``) the rows they wrote on SQLite are copied into the tables the
   PostgreSQL views create; ``--pg-fill project`` feeds the projections there instead.
   The filled store is kept between runs: SQLite files under ``.bench/portal/`` (hard-linked
   into each run's data directory), and a PostgreSQL database ``<name>_portal_bench`` beside
   ``HOTICH_BENCH_DATABASE_URL``'s, keyed by the size and a hash of the code that makes the rows.
2. **API.** `hotich serve` runs as a child process (HOTICH_DEMO=false; the views on SQLite files,
   or on PostgreSQL through HOTICH_READ_DATABASE_URL; the portal audit in the service database
   as always) with ``--server-workers`` HTTP worker processes (HOTICH_WORKERS; one per CPU by
   default), and a portal user of every district. Requests are sent open-loop at
   ``--rate`` requests/s (each at its scheduled time, latency measured from that time, so
   queueing shows), for ``--seconds``: first ID lookups (``GET /portal/records?personal_id=``,
   5 % IDs that no record holds), then name searches (``GET /portal/records/search?q=``: names
   that exist, spelled as stored, in NFD, without diacritics, in upper case, and with the other
   tone-mark placement, hoà/hòa).
3. **Baseline.** The same queries, one after the other, asked of the views in this process
   (the portal's page query and the provenance query each API answer makes).

Figures are printed, never asserted. Targets of the issue (2-core machine): ID lookup p99
<= 25 ms and name search p99 <= 50 ms at 200 requests/s.

    python -m bench.portal [--entries 1000000] [--backends sqlite,postgres] [--rate 200]
                           [--seconds 20] [--refill]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import queue
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

from api.portal import RecordFilter
from bench.server import Server
from bench.workspace import BenchError
from demo.names import NameGenerator, SyntheticPerson
from domain.entry_fields import validate_fields
from domain.person_name import fold
from domain.personal_id import PersonalId
from domain.record_kind import RecordKind
from domain.sex import Sex
from infra.bootstrap import load_admin_units
from infra.http_workers import sockets_held, worker_pids
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.history import SqlHistoryView
from infra.read_store.portal import SqlPortalView
from infra.settings import DEFAULT_ADMIN_UNITS
from projections.envelope import Envelope
from projections.portal_records import PortalRecordsProjection
from projections.record_history import RecordHistoryProjection

ROOT = Path(__file__).resolve().parents[1]
# Bump when the generator below changes what it fills; the code it runs is hashed as well.
FILL_VERSION = 2
FILL_CODE = (
    "projections/portal_records.py",
    "projections/record_history.py",
    "projections/envelope.py",
    "infra/read_store/portal.py",
    "infra/read_store/history.py",
    "infra/read_store/database.py",
    "infra/read_store/dialect.py",
    "demo/names.py",
    "domain/entry_fields.py",
    "domain/person_name.py",
)
SEED = 2026
TARGETS_MS = {"id": 25.0, "name": 50.0}
KINDS = ((RecordKind.BIRTH, 0.55), (RecordKind.DEATH, 0.2), (RecordKind.MARRIAGE, 0.25))
PORTAL_USER = "portal.bench"
SAMPLES = 4_000  # personal IDs and names kept for the queries
MISSING_IDS = 0.05  # share of ID lookups for IDs no record holds
PAGE = 20  # the API's default page size
SEQUENTIAL = 200  # requests of the one-at-a-time pass


# ----- synthetic books and entries ------------------------------------------------------------
@dataclass
class Samples:
    """What the queries ask for: personal IDs and names that published records hold, each a
    uniform sample (reservoir) of what was filled."""

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    seen: int = 0
    seen_ids: int = 0

    def offer_name(self, rng: random.Random, name: str) -> None:
        self.seen += 1
        _keep(rng, self.names, self.seen, name)

    def offer_id(self, rng: random.Random, pid: str) -> None:
        self.seen_ids += 1
        _keep(rng, self.ids, self.seen_ids, pid)


def _keep(rng: random.Random, reservoir: list[str], seen: int, value: str) -> None:
    if len(reservoir) < SAMPLES:
        reservoir.append(value)
    elif (slot := rng.randrange(seen)) < SAMPLES:
        reservoir[slot] = value


@dataclass(frozen=True)
class Book:
    """One catalogued book and its entries' normalised fields (what the envelopes carry)."""

    number: int
    district: str
    commune: str
    kind: RecordKind
    year_from: int
    year_to: int
    entries: list[dict[str, Any]]
    ids: list[str]  # the subjects' personal IDs (some have none)
    names: list[str]  # the subjects' names


class People:
    """Deterministic fields for the entries of one book, drawn like the demo's
    (demo/load.py) and normalised by ``validate_fields``."""

    def __init__(self, book: int, per_book: int) -> None:
        self.book = book
        self.per_book = per_book
        self.rng = random.Random(SEED * 1_000_003 + book)
        self.names = NameGenerator(SEED + book)
        self.serial = (book - 1) * per_book  # subjects: one serial each, never reused

    def _date(self, year: int) -> str:
        month, day = self.rng.randint(1, 12), self.rng.randint(1, 28)
        if year < 1980 and self.rng.random() < 0.3:
            return str(year) if self.rng.random() < 0.5 else f"{month:02d}/{year}"
        return f"{day:02d}/{month:02d}/{year}"

    def _pid(self, sex: str, year: int, chance: float, *, subject: bool) -> str | None:
        if self.rng.random() >= chance:
            return None
        # a subject's serial is unique; another person's is drawn (it may meet another's)
        serial = self.serial % 1_000_000 if subject else self.rng.randrange(1_000_000)
        return PersonalId.build(province_code=2, sex=Sex(sex), birth_year=year, serial=serial).value

    def _person(
        self, prefix: str, p: SyntheticPerson, year: int, *, sex: bool, chance: float, subject: bool
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {
            f"{prefix}.full_name": p.full_name,
            f"{prefix}.birth_date": self._date(year),
            f"{prefix}.ethnicity": p.ethnicity.name_vi,
            f"{prefix}.nationality": "Việt Nam",
        }
        if sex:
            fields[f"{prefix}.sex"] = p.sex
        pid = self._pid(p.sex, year, chance, subject=subject)
        if pid:
            fields[f"{prefix}.personal_id"] = pid
        return fields

    def fields(self, kind: RecordKind, year: int, commune: str) -> dict[str, Any]:
        self.serial += 1
        place = f"{self.names.place_name()}, {commune}"
        day, month = self.rng.randint(1, 28), self.rng.randint(2, 12)
        common = {
            "registration_date": f"{day:02d}/{month:02d}/{year}",
            "registrar": self.names.person().full_name,
        }
        if kind is RecordKind.BIRTH:
            father, mother = self.names.spouse_pair()
            child = self.names.child_of(father if self.rng.random() > 0.1 else None, mother)
            born = year - (0 if self.rng.random() < 0.8 else 1)
            mother_born = born - self.rng.randint(18, 38)
            fields: dict[str, Any] = {
                "child.full_name": child.full_name,
                "child.sex": child.sex,
                "child.birth_date": f"{self.rng.randint(1, 28):02d}/01/{born}",
                "child.birth_place": place,
                "child.ethnicity": child.ethnicity.name_vi,
                "child.nationality": "Việt Nam",
                "mother.full_name": mother.full_name,
                "mother.birth_date": str(mother_born),
                "mother.ethnicity": mother.ethnicity.name_vi,
                "father.full_name": father.full_name,
                "father.birth_date": str(born - self.rng.randint(20, 45)),
                "declarant.full_name": father.full_name,
                "declarant.relationship": "cha",
            }
            pid = self._pid(child.sex, born, 1.0 if born >= 2000 else 0.3, subject=True)
            if pid:
                fields["child.personal_id"] = pid
            chance = 0.4 if mother_born >= 1960 else 0.0
            mother_pid = self._pid("female", mother_born, chance, subject=False)
            if mother_pid:
                fields["mother.personal_id"] = mother_pid
            return {**common, **fields}
        if kind is RecordKind.DEATH:
            born = year - self.rng.randint(40, 90)
            person = self.names.person()
            fields = self._person("deceased", person, born, sex=True, chance=0.3, subject=True)
            fields.update(
                {
                    "deceased.residence": place,
                    "death.date": f"{self.rng.randint(1, 28):02d}/01/{year}",
                    "death.place": place,
                    "death.cause": self.rng.choice(("Già yếu", "Bệnh", "Tai nạn")),
                }
            )
            return {**common, **fields}
        husband, wife = self.names.spouse_pair()
        husband_born = year - self.rng.randint(20, 35)
        wife_born = year - self.rng.randint(18, 30)
        fields = {
            **self._person("husband", husband, husband_born, sex=False, chance=0.4, subject=True),
            **self._person("wife", wife, wife_born, sex=False, chance=0.4, subject=False),
            "husband.residence": place,
            "wife.residence": place,
        }
        return {**common, **fields}


_COMMUNES: list[tuple[str, str, str]] = []
SUBJECT = {RecordKind.BIRTH: "child", RecordKind.DEATH: "deceased", RecordKind.MARRIAGE: "husband"}


def make_book(spec: tuple[int, int, int]) -> Book:
    """Book ``number`` with ``entries`` entries (deterministic; runs in a worker process)."""
    number, entries, per_book = spec
    if not _COMMUNES:
        units = load_admin_units(DEFAULT_ADMIN_UNITS)
        _COMMUNES.extend(
            (d.code, c.code, c.name) for d in units.districts() for c in units.communes_of(d.code)
        )
    people = People(number, per_book)
    district, commune, commune_name = _COMMUNES[number % len(_COMMUNES)]
    kinds, weights = zip(*KINDS, strict=True)
    kind = people.rng.choices(kinds, weights)[0]
    year_from = people.rng.randint(1960, 2019)
    year_to = min(2024, year_from + people.rng.randint(0, 4))
    all_fields = []
    for _ in range(entries):
        year = people.rng.randint(year_from, year_to)
        all_fields.append(validate_fields(kind, people.fields(kind, year, commune_name)))
    subject = SUBJECT[kind]
    return Book(
        number=number,
        district=district,
        commune=commune,
        kind=kind,
        year_from=year_from,
        year_to=year_to,
        entries=all_fields,
        ids=[f[f"{subject}.personal_id"] for f in all_fields if f"{subject}.personal_id" in f],
        names=[f[f"{subject}.full_name"] for f in all_fields],
    )


def book_specs(count: int, per_book: int) -> list[tuple[int, int, int]]:
    return [
        (n + 1, min(per_book, count - start), per_book)
        for n, start in enumerate(range(0, count, per_book))
    ]


class Envelopes:
    """The envelopes of books, in log order: the book catalogued, its pages scanned, then each
    entry keyed, second-keyed (the same fields), verified and published."""

    def __init__(self) -> None:
        self.clock = 1_700_000_000.0
        self.count = 0

    def _make(
        self,
        aggregate_type: str,
        aggregate_id: uuid.UUID,
        version: int,
        name: str,
        actor: str,
        district: str,
        payload: dict[str, Any],
        prev: str | None,
    ) -> Envelope:
        self.clock += 0.05
        self.count += 1
        digest = hashlib.sha256(f"{aggregate_id}/{version}/{prev}".encode()).hexdigest()
        return Envelope(
            aggregate_id=aggregate_id,
            aggregate_type=aggregate_type,
            version=version,
            event_type=f"{aggregate_type}.{name}",
            occurred_at=dt.datetime.fromtimestamp(self.clock, dt.UTC),
            actor_id=actor,
            actor_role=actor.split(".", 1)[0],
            district=district,
            payload=payload,
            hash=digest,
            key_id="bench00000000000",
            prev_hash=prev,
        )

    def of(self, book: Book) -> Iterator[Envelope]:
        register = uuid.uuid5(uuid.NAMESPACE_URL, f"hotich-bench/register/{book.number}")
        clerk = f"clerk.{book.district}.1"
        pages = (len(book.entries) + 1) // 2
        catalogued = self._make(
            "Register",
            register,
            1,
            "RegisterCatalogued",
            clerk,
            book.district,
            {
                "book_number": f"{book.number % 7 + 1:02d}",
                "commune_code": book.commune,
                "estimated_entries": len(book.entries),
                "kind": book.kind.value,
                "page_count": pages,
                "year_from": book.year_from,
                "year_to": book.year_to,
            },
            None,
        )
        yield catalogued
        prev = catalogued.hash
        for page in range(1, pages + 1):
            sha = hashlib.sha256(f"{register}/{page}".encode()).hexdigest()
            scanned = self._make(
                "Register",
                register,
                page + 1,
                "PageScanned",
                clerk,
                book.district,
                {
                    "media_type": "image/png",
                    "object_key": f"scans/{book.district}/{register}/{sha}.png",
                    "page_number": page,
                    "sha256": sha,
                    "size": 180_000 + page,
                },
                prev,
            )
            yield scanned
            prev = scanned.hash
        for number, fields in enumerate(book.entries, start=1):
            yield from self._entry(register, book, number, fields)

    def _entry(
        self, register: uuid.UUID, book: Book, number: int, fields: dict[str, Any]
    ) -> Iterator[Envelope]:
        entry = uuid.uuid5(register, f"entry/{number}")
        district = book.district
        keyed = self._make(
            "CivilRecord",
            entry,
            1,
            "EntryKeyed",
            f"clerk.{district}.1",
            district,
            {
                "commune_code": book.commune,
                "entry_number": number,
                "fields": fields,
                "kind": book.kind.value,
                "pages": [(number + 1) // 2],
                "register_id": str(register),
            },
            None,
        )
        second = self._make(
            "CivilRecord",
            entry,
            2,
            "EntrySecondKeyed",
            f"clerk.{district}.2",
            district,
            {"fields": fields},
            keyed.hash,
        )
        verifier = f"verifier.{district}"
        verified = self._make(
            "CivilRecord", entry, 3, "EntryVerified", verifier, district, {}, second.hash
        )
        published = self._make(
            "CivilRecord", entry, 4, "EntryPublished", verifier, district, {}, verified.hash
        )
        yield from (keyed, second, verified, published)


# ----- filling a read store -------------------------------------------------------------------
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
    started = last = time.perf_counter()
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
                now = time.perf_counter()
                if now - last > 30 and not done:
                    last = now
                    print(
                        f"  fill ({where}): {filled:,} of {entries:,} entries, "
                        f"{envelopes.count:,} events, {envelopes.count / (now - started):,.0f} "
                        "ev/s",
                        flush=True,
                    )
    finally:
        portal.close()
        history.close()
    seconds = time.perf_counter() - started
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


def _save_samples(path: Path, samples: Samples) -> None:
    path.write_text(json.dumps({"ids": samples.ids, "names": samples.names}, ensure_ascii=False))


def _load_samples(path: Path) -> Samples:
    data = json.loads(path.read_text())
    return Samples(ids=data["ids"], names=data["names"])


class SqliteStore:
    """The filled views as SQLite files in ``.bench/portal/sqlite-<key>``."""

    label = "SQLite"

    def __init__(self, cache: Path, key: str) -> None:
        self.directory = cache / f"sqlite-{key}"

    def prepare(self, args: argparse.Namespace) -> Samples:
        samples = self.directory / "samples.json"
        if samples.exists() and not args.refill:
            print(f"fill (SQLite): cached in {self.directory}", flush=True)
            return _load_samples(samples)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        found = fill(
            ReadStoreBackend.sqlite(self.directory), args.entries, args.per_book, args.batch
        )
        _save_samples(samples, found)
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
            data = json.loads(row[0])
            return Samples(ids=data["ids"], names=data["names"])
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
                (self.key, json.dumps({"ids": found.ids, "names": found.names})),
            )
        return found

    def _copy(self, backend: ReadStoreBackend) -> None:
        """The rows the projections wrote on SQLite, into the views' own PostgreSQL tables
        (created by the views, as they create them), with COPY."""
        started = time.perf_counter()
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
            f"views' tables in {time.perf_counter() - started:,.0f} s (--pg-fill copy; "
            "--pg-fill project feeds the projections on PostgreSQL, ~500 ev/s here)",
            flush=True,
        )

    def backend(self) -> ReadStoreBackend:
        return ReadStoreBackend.postgres(self.url)

    def server_env(self, home: Path) -> dict[str, str]:
        home.mkdir(parents=True, exist_ok=True)
        return {"HOTICH_READ_DATABASE_URL": self.url}


# ----- the queries ----------------------------------------------------------------------------
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng (combining, NFD)
_TONE_AFTER = re.compile(f"(?i)(o[ae]|uy)([{_TONES}])(?!\\w)")  # hoà -> hòa
_TONE_BEFORE = re.compile(f"(?i)(?:(o)([{_TONES}])([ae])|(u)([{_TONES}])(y))(?!\\w)")


def _tone_last(m: re.Match[str]) -> str:
    return m[1] + m[3] + m[2] if m[1] else m[4] + m[6] + m[5]


def other_tone_placement(name: str) -> str | None:
    """The name with the other tone-mark placement of its oa/oe/uy syllables (hoà <-> hòa),
    or None if it has none."""
    nfd = unicodedata.normalize("NFD", name)
    moved = _TONE_AFTER.sub(lambda m: m[1][0] + m[2] + m[1][1], nfd)
    if moved == nfd:
        moved = _TONE_BEFORE.sub(_tone_last, nfd)
    return unicodedata.normalize("NFC", moved) if moved != nfd else None


def without_diacritics(name: str) -> str:
    bare = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in bare if not unicodedata.combining(c))


def spellings(name: str) -> list[str]:
    """The name as stored, in NFD, without diacritics, in upper case, other tone placement."""
    variants = [
        name,
        unicodedata.normalize("NFD", name),
        without_diacritics(name),
        name.upper(),
    ]
    other = other_tone_placement(name)
    variants.append(other if other is not None else name.lower())
    return variants


@dataclass(frozen=True)
class Query:
    kind: str  # "id" | "name"
    path: str
    params: dict[str, str]
    value: str


def make_queries(samples: Samples, count: int, seed: int = SEED) -> dict[str, list[Query]]:
    rng = random.Random(seed)
    ids: list[Query] = []
    for i in range(count):
        if rng.random() < MISSING_IDS or not samples.ids:
            # a well-formed ID of province 096: no record holds one (all are born in 002)
            pid = PersonalId.build(
                province_code=96, sex=Sex.MALE, birth_year=1990, serial=rng.randrange(10**6)
            ).value
        else:
            pid = (
                samples.ids[i % len(samples.ids)]
                if i < len(samples.ids)
                else rng.choice(samples.ids)
            )
        ids.append(Query("id", "/portal/records", {"personal_id": pid}, pid))
    names: list[Query] = []
    for i in range(count):
        name = rng.choice(samples.names)
        q = spellings(name)[i % 5]
        names.append(Query("name", "/portal/records/search", {"q": q}, q))
    return {"id": ids, "name": names}


# ----- load -----------------------------------------------------------------------------------
@dataclass
class Run:
    latencies: list[float]  # seconds, from the scheduled send time
    errors: int
    seconds: float  # from the first scheduled send to the last answer
    empty: int = 0

    @property
    def rate(self) -> float:
        return (len(self.latencies) + self.errors) / self.seconds


def drive(url: str, token: str, queries: list[Query], rate: float, workers: int) -> Run:
    """Open loop: query i is due at start + i / rate, whatever the answers before it do.
    ``workers`` threads, each on its own keep-alive connection, take the due queries in order;
    when all are busy a query waits, and its latency (from when it was due) shows it."""
    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    headers = {"Authorization": f"Bearer {token}"}
    due: queue.Queue[tuple[float, Query] | None] = queue.Queue()
    latencies: list[float] = []
    errors: list[str] = []

    def work() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=120)
        while (item := due.get()) is not None:
            scheduled, query = item
            try:
                conn.request("GET", f"{query.path}?{urlencode(query.params)}", headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as e:
                errors.append(f"{type(e).__name__}: {e}")
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=120)
                continue
            if response.status != 200:
                errors.append(f"HTTP {response.status}: {body[:200]!r}")
            else:
                latencies.append(time.perf_counter() - scheduled)
        conn.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    start = time.perf_counter() + 0.1
    for i, query in enumerate(queries):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due.put((scheduled, query))
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    if errors:
        print(f"    first error: {errors[0]}", flush=True)
    return Run(latencies, len(errors), time.perf_counter() - start)


def connections_per_worker(server_pid: int, port: int) -> list[int]:
    """How many of the load's open connections each HTTP worker of the server holds, most
    first (the serving process itself when it has no worker processes)."""
    workers = worker_pids(server_pid) or [server_pid]
    return sorted(sockets_held(workers, port).values(), reverse=True)


def sequential(url: str, token: str, queries: list[Query]) -> list[float]:
    """One request at a time (closed loop): what a request costs the server alone, seconds."""
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for query in queries:
            started = time.perf_counter()
            response = client.get(query.path, params=query.params)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise BenchError(f"{query.path} {query.params}: HTTP {response.status_code}")
    return latencies


def check_answers(url: str, token: str, queries: dict[str, list[Query]]) -> None:
    """Before timing: every spelling finds its name; present IDs are found, absent ones not."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        for query in queries["name"][:25]:
            body = client.get(query.path, params=query.params).json()
            folded = fold(query.value)
            names = [
                fold(n) for item in body.get("items", []) for n in [item["subject_name"] or ""]
            ] + [fold(n) for item in body.get("items", []) for n in item["other_names"]]
            if folded not in names:
                raise BenchError(f"search {query.value!r} did not find the name: {body}")
        found = 0
        for query in queries["id"][:40]:
            body = client.get(query.path, params=query.params).json()
            found += bool(body.get("items"))
            if body.get("items") and query.value not in body["items"][0]["personal_ids"]:
                raise BenchError(f"lookup {query.value}: a record without the ID: {body}")
        if found < 30:
            raise BenchError(f"only {found} of 40 personal IDs found")


def direct(backend: ReadStoreBackend, queries: list[Query]) -> list[float]:
    """The same queries asked of the views in-process, one after the other (seconds each)."""
    portal = SqlPortalView(backend.database("portal"))
    history = SqlHistoryView(backend.database("history"))
    everyone = RecordFilter(districts=None)
    latencies: list[float] = []
    try:
        for query in queries:
            started = time.perf_counter()
            if query.kind == "id":
                hits = portal.find_by_personal_id_page(
                    query.value, where=everyone, after=None, limit=PAGE + 1
                )
                records = [h.record for h in hits[:PAGE]]
            else:
                page = portal.search_by_name_page(
                    query.value, where=everyone, after=None, limit=PAGE
                )
                records = [h.record for h in page.hits]
            if records:
                history.histories([r.id for r in records])
            latencies.append(time.perf_counter() - started)
    finally:
        portal.close()
        history.close()
    return latencies


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), in ms."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000


# ----- main -----------------------------------------------------------------------------------
def bench_backend(store: SqliteStore | PostgresStore, args: argparse.Namespace, work: Path) -> str:
    samples = store.prepare(args)
    queries = make_queries(samples, int(args.rate * args.seconds))
    server = Server(
        work, {**store.server_env(work / "home"), "HOTICH_WORKERS": str(args.server_workers)}
    )
    summary: list[str] = []
    try:
        server.start()
        token = server.add_user(PORTAL_USER, "portal", districts="*", name="Cổng DVC")
        check_answers(server.url, token, queries)
        drive(
            server.url, token, queries["id"][: int(args.rate)], args.rate, args.workers
        )  # warm-up
        drive(server.url, token, queries["name"][: int(args.rate)], args.rate, args.workers)
        runs_of = ("id", "name")
        labels = {
            "id": "ID lookup   GET /portal/records?personal_id=",
            "name": "name search GET /portal/records/search?q=",
        }
        alone = {
            kind: sequential(server.url, token, queries[kind][:SEQUENTIAL]) for kind in runs_of
        }
        floor = sequential(server.url, token, [Query("id", "/healthz", {}, "")] * SEQUENTIAL)
        runs: dict[str, Run] = {}
        split: dict[str, list[int]] = {}  # open connections per worker, 2 s into each run

        def count(kind: str) -> None:
            split[kind] = connections_per_worker(server.pid, server.port)

        for kind in runs_of:
            watch = threading.Timer(2.0, count, (kind,))
            watch.start()
            runs[kind] = drive(server.url, token, queries[kind], args.rate, args.workers)
            watch.join()
    except BenchError as e:
        print(f"portal bench failed: {e}\n--- server log ---\n{server.tail()}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        server.stop()
    baselines = {kind: direct(store.backend(), queries[kind]) for kind in ("id", "name")}
    print(
        f"  {store.label}: {args.entries:,} published entries; open loop at {args.rate:,.0f} "
        f"req/s for {args.seconds:,.0f} s per query kind; latency from the scheduled send time; "
        f"{args.workers} connections",
        flush=True,
    )
    for kind, run in runs.items():
        base = baselines[kind]
        p50, p99 = pct(run.latencies, 50), pct(run.latencies, 99)
        b50, b99 = pct(base, 50), pct(base, 99)
        target = TARGETS_MS[kind]
        held = "/".join(str(n) for n in split.get(kind, [])) or "?"
        print(
            f"    {labels[kind]:47} {run.rate:6.1f} req/s achieved, p50 {p50:6.1f} ms, "
            f"p99 {p99:6.1f} ms (target p99 <= {target:.0f} ms), max "
            f"{max(run.latencies, default=0) * 1000:6.1f} ms, errors {run.errors}; "
            f"connections per worker {held}",
            flush=True,
        )
        print(
            f"    {'  direct, the view in-process (sequential)':47} {len(base) / sum(base):6.0f} "
            f"q/s,          p50 {b50:6.1f} ms, p99 {b99:6.1f} ms;   ratio API/direct p50 "
            f"{p50 / b50:5.1f}, p99 {p99 / b99:5.1f}",
            flush=True,
        )
        one = alone[kind]
        print(
            f"    {'  API alone, one request at a time':47} {len(one) / sum(one):6.0f} req/s,"
            f"        p50 {pct(one, 50):6.1f} ms, p99 {pct(one, 99):6.1f} ms "
            f"(GET /healthz: p50 {pct(floor, 50):.1f} ms)",
            flush=True,
        )
        verdict = "within" if p99 <= target else "over"
        summary.append(f"{kind} p99 {p99:.1f} ms ({verdict} {target:.0f})")
    return f"portal {store.label} {args.entries:,} entries at {args.rate:.0f} req/s: " + "; ".join(
        summary
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000, help="published entries")
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--rate", type=float, default=200.0, help="offered requests/s")
    parser.add_argument("--seconds", type=float, default=20.0, help="per query kind")
    parser.add_argument("--workers", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--server-workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="HTTP worker processes of hotich serve (HOTICH_WORKERS; default: one per CPU)",
    )
    parser.add_argument("--batch", type=int, default=20_000, help="events per fill transaction")
    parser.add_argument("--per-book", type=int, default=250, help="entries per book")
    parser.add_argument(
        "--pg-fill",
        choices=("copy", "project"),
        default="copy",
        help="PostgreSQL: copy the rows the projections wrote on SQLite (minutes), or feed the "
        "projections on PostgreSQL (a round trip per statement: hours for 1,000,000)",
    )
    parser.add_argument("--refill", action="store_true", help="fill again, ignoring the cache")
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or set(backends) - {"sqlite", "postgres"}:
        parser.error("--backends: sqlite, postgres or sqlite,postgres")
    if args.entries < 100 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--entries >= 100, --rate > 0 and --seconds > 0, please")
    url = os.environ.get("HOTICH_BENCH_DATABASE_URL")
    if "postgres" in backends and not url:
        sys.exit("HOTICH_BENCH_DATABASE_URL not set: run `make bench`, or --backends sqlite")
    print(
        f"portal bench: machine {len(os.sched_getaffinity(0))} CPUs (nproc), "
        f"{platform.machine()}, Python {platform.python_version()}; hotich: `hotich serve` "
        f"with {args.server_workers} HTTP worker process(es) (HOTICH_WORKERS) beside the one "
        "that feeds the views; the load generator (threads on keep-alive connections) in this "
        "process; other work on the machine makes figures noisy",
        flush=True,
    )
    key = fill_key(args.entries, args.per_book)
    cache = Path(os.environ.get("HOTICH_BENCH_DIR", ".bench")) / "portal"
    cache.mkdir(parents=True, exist_ok=True)
    summaries: list[str] = []
    for name in backends:
        store: SqliteStore | PostgresStore = (
            SqliteStore(cache, key)
            if name == "sqlite"
            else PostgresStore(str(url), key, SqliteStore(cache, key))
        )
        work = Path(tempfile.mkdtemp(prefix="run-", dir=cache))
        try:
            summaries.append(bench_backend(store, args, work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    for line in summaries:
        print(line, flush=True)


if __name__ == "__main__":
    main()
