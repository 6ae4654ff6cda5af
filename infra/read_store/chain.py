"""SqlChainLedger: the hash of every (aggregate, version) a consumer has accepted, in a view
database (SQLite or PostgreSQL, infra/read_store/database.py).

A consumer checks each envelope against it before applying it: version 1 must chain to
nothing, version n to the hash it accepted for n-1, and a version it already holds must come
with the same hash (a redelivery) — anything else (a gap, a fork, a forged duplicate) is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from uuid import UUID

from infra.read_store.database import ReadDatabase, chunked, open_database, wanted_pairs
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
        self._db.durable()  # it keeps every hash it accepted before the views store positions
        self._db.create(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def batch(self) -> AbstractContextManager[None]:
        """Many accepts in one transaction (a runner's poll), instead of a commit each."""
        return self._db.batch()

    def _hashes(self, wanted: Iterable[tuple[UUID, int]]) -> dict[tuple[UUID, int], str]:
        found: dict[tuple[UUID, int], str] = {}
        for chunk in chunked(wanted):
            sql = wanted_pairs(len(chunk)) + (  # noqa: S608 - placeholders only
                "SELECT c.aggregate_id, c.version, c.hash FROM wanted JOIN chain AS c "
                "ON c.aggregate_id = wanted.a AND c.version = wanted.b"
            )
            params = [value for aggregate, version in chunk for value in (str(aggregate), version)]
            found.update(((UUID(a), int(v)), str(h)) for a, v, h in self._db.query(sql, params))
        return found

    def accept(self, envelope: Envelope) -> None:
        """Record the envelope's place in its chain, or raise OffChainError."""
        [refused] = self.accept_batch([envelope])
        if refused is not None:
            raise refused

    def accept_batch(self, envelopes: Sequence[Envelope]) -> list[OffChainError | None]:
        """Record each envelope's place in its chain, in order, in one transaction; for each,
        None or why it was refused (a refused one is not recorded, and the next ones are
        checked against what was recorded before it)."""
        with self._lock, self._db.batch():  # the checks read what the inserts build on
            wanted = {(e.aggregate_id, e.version) for e in envelopes}
            wanted |= {(e.aggregate_id, e.version - 1) for e in envelopes if e.version > 1}
            known = self._hashes(wanted)
            outcomes: list[OffChainError | None] = []
            new: list[tuple[str, int, str]] = []
            for envelope in envelopes:
                try:
                    if _check(envelope, known):
                        known[(envelope.aggregate_id, envelope.version)] = envelope.hash
                        new.append((str(envelope.aggregate_id), envelope.version, envelope.hash))
                except OffChainError as e:
                    outcomes.append(e)
                else:
                    outcomes.append(None)
            if new:
                self._db.executemany(
                    "INSERT INTO chain (aggregate_id, version, hash) VALUES (?, ?, ?)", new
                )
            return outcomes


def _check(envelope: Envelope, known: dict[tuple[UUID, int], str]) -> bool:
    """Whether the envelope is new to the chain as ``known`` holds it (False: a redelivery of
    what was accepted); OffChainError if it does not continue it."""
    held = known.get((envelope.aggregate_id, envelope.version))
    if held is not None:
        if held != envelope.hash:
            raise OffChainError(
                f"version {envelope.version} of {envelope.aggregate_id} was seen with "
                "another hash (a forged or forked event)"
            )
        return False  # a redelivery of what was accepted
    if envelope.version == 1:
        if envelope.prev_hash is not None:
            raise OffChainError("version 1 must not chain to a previous hash")
        return True
    before = known.get((envelope.aggregate_id, envelope.version - 1))
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
    return True
