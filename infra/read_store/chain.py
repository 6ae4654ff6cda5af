"""SqlChainLedger: the hash of every (aggregate, version) a consumer has accepted, in a view
database (SQLite or PostgreSQL, infra/read_store/database.py).

A consumer checks each envelope against it before applying it: version 1 must chain to
nothing, version n to the hash it accepted for n-1, and a version it already holds must come
with the same hash (a redelivery) — anything else (a gap, a fork, a forged duplicate) is refused.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from pathlib import Path
from uuid import UUID

from infra.read_store.database import ReadDatabase, open_database
from projections.envelope import Envelope

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chain (
    aggregate_id TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL,
    PRIMARY KEY (aggregate_id, version));
"""


class OffChainError(ValueError):
    """The envelope does not continue its aggregate's chain as this consumer has seen it."""


class SqlChainLedger:
    def __init__(self, database: ReadDatabase | Path | str) -> None:
        self._lock = threading.Lock()
        self._db = open_database(database)
        self._db.create(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def batch(self) -> AbstractContextManager[None]:
        """Many accepts in one transaction (a runner's poll), instead of a commit each."""
        return self._db.batch()

    def _hash(self, aggregate_id: UUID, version: int) -> str | None:
        rows = self._db.query(
            "SELECT hash FROM chain WHERE aggregate_id=? AND version=?",
            (str(aggregate_id), version),
        )
        return str(rows[0][0]) if rows else None

    def accept(self, envelope: Envelope) -> None:
        """Record the envelope's place in its chain, or raise OffChainError."""
        with self._lock, self._db.batch():  # the checks read what the insert builds on
            known = self._hash(envelope.aggregate_id, envelope.version)
            if known is not None:
                if known != envelope.hash:
                    raise OffChainError(
                        f"version {envelope.version} of {envelope.aggregate_id} was seen with "
                        "another hash (a forged or forked event)"
                    )
                return  # a redelivery of what was accepted
            if envelope.version == 1:
                if envelope.prev_hash is not None:
                    raise OffChainError("version 1 must not chain to a previous hash")
            else:
                before = self._hash(envelope.aggregate_id, envelope.version - 1)
                if before is None:
                    raise OffChainError(
                        f"version {envelope.version - 1} of {envelope.aggregate_id} was never "
                        "seen (an event is missing)"
                    )
                if before != envelope.prev_hash:
                    raise OffChainError(
                        f"prev_hash does not match version {envelope.version - 1} "
                        "(an event was removed, replaced or reordered)"
                    )
            self._db.execute(
                "INSERT INTO chain (aggregate_id, version, hash) VALUES (?, ?, ?)",
                (str(envelope.aggregate_id), envelope.version, envelope.hash),
            )
