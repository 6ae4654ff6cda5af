"""Stream every stored event in (aggregate, version) order, straight from the table's primary key.

Reading by the primary key keeps memory flat however large the store: one aggregate's chain is
checked and forgotten before the next begins.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from uuid import UUID

import psycopg

from digitization.application import Digitisation

Row = tuple[str, int, str, bytes]

POSTGRES_EVENTS_TABLE = f"{Digitisation.name.lower()}_events"
SQLITE_EVENTS_TABLE = "stored_events"


def scan_sqlite(path: Path, batch: int = 2000) -> Iterator[list[Row]]:
    if not path.exists():
        raise FileNotFoundError(f"no event store at {path}")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        cursor = conn.execute(
            "SELECT originator_id, originator_version, topic, state "  # noqa: S608 - constant name
            f"FROM {SQLITE_EVENTS_TABLE} ORDER BY originator_id, originator_version"
        )
        while rows := cursor.fetchmany(batch):
            yield [(str(UUID(str(r[0]))), int(r[1]), str(r[2]), bytes(r[3])) for r in rows]


def scan_postgres(url: str, batch: int = 2000) -> Iterator[list[Row]]:
    with (
        psycopg.connect(url) as conn,
        conn.transaction(),
        conn.cursor(name="hotich_scan") as cursor,
    ):
        cursor.itersize = batch
        cursor.execute(
            psycopg.sql.SQL(
                "SELECT originator_id, originator_version, topic, state FROM {} "
                "ORDER BY originator_id, originator_version"
            ).format(psycopg.sql.Identifier(POSTGRES_EVENTS_TABLE))
        )
        while rows := cursor.fetchmany(batch):
            yield [(str(UUID(str(r[0]))), int(r[1]), str(r[2]), bytes(r[3])) for r in rows]
