"""Every checkpoint the log signed, and the witnesses' cosignatures posted for them, in SQL.

Tables (SQLite and PostgreSQL):

``hotich_tlog_checkpoints``   (size, root, note, signed_at): one row per signed tree size,
                              inserted, never changed; ``note`` is the log-signed note
``hotich_tlog_cosignatures``  (size, cosigner, key_id, timestamp, line, received_at): the
                              signature lines witnesses posted, checked, beside their checkpoint

When to sign (at most once per interval) is the caller's business: ``sign_if_grown`` signs a
new checkpoint whenever the tree is larger than the last one signed, after checking that it
extends it (a log must never sign two inconsistent checkpoints).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from infra.tlog.checkpoint import Checkpoint, sign_checkpoint
from infra.tlog.cosignature import CosignatureVerifier, cosignature_timestamp
from infra.tlog.database import Connection, Sql
from infra.tlog.note import NoteError, NoteSignature, NoteSigner, parse_note
from infra.tlog.proofs import verify_consistency
from infra.tlog.tree_store import TreeStore

_CHECKPOINTS_DDL = {  # by whether the database is PostgreSQL
    False: "CREATE TABLE IF NOT EXISTS hotich_tlog_checkpoints ("
    "size INTEGER PRIMARY KEY, root BLOB NOT NULL CHECK (length(root) = 32), "
    "note TEXT NOT NULL, signed_at TEXT NOT NULL)",
    True: "CREATE TABLE IF NOT EXISTS hotich_tlog_checkpoints ("
    "size BIGINT PRIMARY KEY, root BYTEA NOT NULL CHECK (octet_length(root) = 32), "
    "note TEXT NOT NULL, signed_at TEXT NOT NULL)",
}
_COSIGNATURES_DDL = (
    "CREATE TABLE IF NOT EXISTS hotich_tlog_cosignatures ("
    "size BIGINT NOT NULL REFERENCES hotich_tlog_checkpoints (size), "
    "cosigner TEXT NOT NULL, key_id BIGINT NOT NULL, timestamp BIGINT NOT NULL, "
    "line TEXT NOT NULL, received_at TEXT NOT NULL, "
    "PRIMARY KEY (size, cosigner, key_id))"
)
_INSERT_CHECKPOINT = (
    "INSERT INTO hotich_tlog_checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (size) DO NOTHING"
)
_SELECT_LATEST = (
    "SELECT size, root, note, signed_at FROM hotich_tlog_checkpoints ORDER BY size DESC LIMIT 1"
)
_SELECT_ONE = "SELECT size, root, note, signed_at FROM hotich_tlog_checkpoints WHERE size = ?"
_SELECT_AFTER = (
    "SELECT size, root, note, signed_at FROM hotich_tlog_checkpoints "
    "WHERE size > ? ORDER BY size LIMIT ?"
)
_SELECT_COSIGNATURES = (
    "SELECT size, line FROM hotich_tlog_cosignatures WHERE size >= ? AND size <= ? "
    "ORDER BY size, received_at, cosigner"
)
_INSERT_COSIGNATURE = (
    "INSERT INTO hotich_tlog_cosignatures "
    "(size, cosigner, key_id, timestamp, line, received_at) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (size, cosigner, key_id) DO NOTHING RETURNING size"
)


class CheckpointSigningError(RuntimeError):
    """The tree no longer extends the last signed checkpoint: signing would fork the log."""


class CosignatureError(ValueError):
    """A posted cosignature is not a known witness's valid signature on that checkpoint."""


@dataclass(frozen=True)
class StoredCheckpoint:
    checkpoint: Checkpoint
    note: str  # signed by the log
    signed_at: str  # ISO 8601, UTC
    cosignatures: tuple[str, ...] = ()  # witnesses' signature lines, in order of arrival

    def cosigned_note(self) -> str:
        """The note with the log's signature and every stored cosignature, as clients take it."""
        return self.note + "".join(self.cosignatures)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Checkpoints:
    """The log's signed checkpoints: one ``signer`` (the log's key, named as the origin)."""

    def __init__(
        self,
        tree: TreeStore,
        signer: NoteSigner,
        *,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.tree = tree
        self.signer = signer
        self.origin = signer.name
        self.clock = clock

    def create_tables(self, conn: Connection) -> None:
        """Create the tables if missing (idempotent); the tree's tables come first."""
        sql = Sql(conn)
        sql.run(_CHECKPOINTS_DDL[sql.is_postgres])
        sql.run(_COSIGNATURES_DDL)

    def sign_if_grown(self, conn: Connection) -> StoredCheckpoint | None:
        """Sign and keep a checkpoint of the tree as it is, if it grew since the last one (or
        none was signed yet); None if it did not."""
        size = self.tree.size(conn)
        last = self.latest(conn)
        if last is not None and size <= last.checkpoint.size:
            if size < last.checkpoint.size:
                signed = last.checkpoint.size
                raise CheckpointSigningError(f"the tree holds {size} leaves, {signed} were signed")
            return None
        root = self.tree.root(conn, size)
        if last is not None:
            old = last.checkpoint
            proof = self.tree.consistency_proof(conn, old.size, size)
            if not verify_consistency(old.size, size, old.root, root, proof):
                raise CheckpointSigningError(
                    f"the tree of {size} leaves does not extend the checkpoint of {old.size}"
                )
        checkpoint = Checkpoint(self.origin, size, root)
        stored = StoredCheckpoint(
            checkpoint, sign_checkpoint(checkpoint, self.signer), self.clock().isoformat()
        )
        Sql(conn).run(_INSERT_CHECKPOINT, (size, root, stored.note, stored.signed_at))
        return stored

    def latest(self, conn: Connection) -> StoredCheckpoint | None:
        rows = Sql(conn).rows(_SELECT_LATEST)
        return self._with_cosignatures(conn, rows)[0] if rows else None

    def get(self, conn: Connection, size: int) -> StoredCheckpoint | None:
        rows = Sql(conn).rows(_SELECT_ONE, (size,))
        return self._with_cosignatures(conn, rows)[0] if rows else None

    def after(self, conn: Connection, size: int = -1, limit: int = 100) -> list[StoredCheckpoint]:
        """Checkpoints of sizes above ``size``, oldest first, at most ``limit``."""
        return self._with_cosignatures(conn, Sql(conn).rows(_SELECT_AFTER, (size, limit)))

    def add_cosignature(
        self,
        conn: Connection,
        size: int,
        line: str,
        witnesses: Sequence[CosignatureVerifier],
    ) -> bool:
        """Keep a witness's signature line (``— <name> <base64>``) on the checkpoint of ``size``
        once it verifies with one of ``witnesses``; False if that witness's was already kept."""
        try:
            signature = NoteSignature.parse(line.removesuffix("\n"))
        except NoteError as error:
            raise CosignatureError(str(error)) from error
        witness = next(
            (w for w in witnesses if (w.name, w.key_id) == (signature.name, signature.key_id)),
            None,
        )
        if witness is None:
            raise CosignatureError(f"{signature.name} is not a known witness")
        stored = self.get(conn, size)
        if stored is None:
            raise CosignatureError(f"no checkpoint of size {size} was signed")
        text = parse_note(stored.note).text.encode()
        if not witness.verify(text, signature.signature):
            raise CosignatureError(f"{signature.name}'s cosignature does not verify")
        inserted = Sql(conn).rows(
            _INSERT_COSIGNATURE,
            (
                size,
                signature.name,
                signature.key_id,
                cosignature_timestamp(signature),
                signature.line(),
                self.clock().isoformat(),
            ),
        )
        return bool(inserted)

    def _with_cosignatures(
        self, conn: Connection, rows: Sequence[tuple[Any, ...]]
    ) -> list[StoredCheckpoint]:
        """Stored checkpoints from rows (size, root, note, signed_at), with their cosignatures."""
        if not rows:
            return []
        sizes = [int(row[0]) for row in rows]
        lines: dict[int, list[str]] = {}
        for size, line in Sql(conn).rows(_SELECT_COSIGNATURES, (min(sizes), max(sizes))):
            lines.setdefault(int(size), []).append(str(line))
        return [
            StoredCheckpoint(
                Checkpoint.parse(parse_note(note).text),  # as signed, to the byte
                str(note),
                str(signed_at),
                tuple(lines.get(int(size), ())),
            )
            for size, _, note, signed_at in rows
        ]
