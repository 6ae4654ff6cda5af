"""SqlTransparencyLog: the verifiable log of one event store, as hotich keeps and serves it.

Every stored event is a leaf, in notification order; the leaf's data is the event's 32-byte
hash. The tree and the signed checkpoints live in the event store's own database (SQLite file
or PostgreSQL). One keeper (a thread of `hotich serve`, or `hotich log init`) appends what the
event store holds beyond the tree, batch by batch (:class:`~infra.tlog.sequencer.Sequencer`),
and signs a checkpoint at most once per interval when the tree grew. Readers answer the
public, read-only questions: the newest checkpoint, hash tiles, inclusion and consistency
proofs, and which event a leaf is.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from digitization.errors import NotFoundError
from digitization.ports import LogEvent, LogRequestError
from infra.outages import OutageLog
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import CHECK_ERRORS
from infra.tlog.audit import LogAudit, audit_log
from infra.tlog.checkpoint_store import Checkpoints, CosignatureError, StoredCheckpoint
from infra.tlog.cosignature import CosignatureVerifier
from infra.tlog.database import Connection, Sql
from infra.tlog.event_rows import by_notification_sql, event_hash, of_aggregate_sql
from infra.tlog.log_place import LogConnections, LogPlace
from infra.tlog.note import Ed25519NoteSigner, Ed25519NoteVerifier, NoteError, parse_note
from infra.tlog.proofs import subtrees
from infra.tlog.runs import LeafRun, RunChecker, RunError
from infra.tlog.sequencer import Sequencer
from infra.tlog.tiles import TILE_WIDTH, TilePathError, parse_tile_path
from infra.tlog.tree_store import Leaf, TreeStore

log = logging.getLogger(__name__)
CACHED_TILES = 4096  # full tiles a reader keeps (8 KB each): every proof at 1,000,000 leaves
RUN_LEAVES = 8192  # leaves of a run published on Kafka (~360 KB of JSON: under 1 MB a message)


class LogIntegrityError(RuntimeError):
    """The store no longer holds events the log took: the keeper stops taking events."""


@dataclass
class SqlTransparencyLog:
    """The tree, the checkpoints and the keeper of one event store; see the module docstring."""

    place: LogPlace
    app: Application[UUID]
    signer: Ed25519NoteSigner
    witnesses: Sequence[CosignatureVerifier] = ()
    batch_size: int = 1000
    _writer: TreeStore = field(default_factory=TreeStore, init=False)
    _reader: TreeStore = field(
        default_factory=lambda: TreeStore(cached_tiles=CACHED_TILES), init=False
    )

    def __post_init__(self) -> None:
        self._connections = LogConnections(self.place)
        mapper = self.app.mapper
        assert isinstance(mapper, SignedEnvelopeMapper)
        self._mapper = mapper
        self.checkpoints = Checkpoints(self._writer, self.signer)
        self.runs = RunChecker(self.signer.verifier())
        with self._transaction() as conn:
            self._writer.create_tables(conn)
            self.checkpoints.create_tables(conn)

    @property
    def origin(self) -> str:
        return self.signer.name

    def _transaction(self) -> AbstractContextManager[Connection]:
        return self._connections.transaction()

    def _read(self) -> AbstractContextManager[Connection]:
        """A snapshot to read from (see LogConnections.read)."""
        return self._connections.read()

    def close(self) -> None:
        self._connections.close()

    # ----- keeping the tree ------------------------------------------------------------------
    def _leaves(self, after: int, limit: int) -> list[Leaf]:
        """The stored events after notification ``after``: (notification id, hash)."""
        notifications = self.app.recorder.select_notifications(start=after + 1, limit=limit)
        return [(n.id, event_hash(self._mapper, n)) for n in notifications]

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Append every stored event the tree lacks; how many. ``progress(done, total)``."""
        sequencer = Sequencer(
            self._writer, self._transaction, self._leaves, batch_size=self.batch_size
        )
        total = self.app.recorder.max_notification_id() or 0
        with self._read() as conn:
            state = self._writer.state(conn)
        last = state.last_notification_id
        if state.size and not self._still_stored(last):
            raise LogIntegrityError(
                f"the store no longer holds event {last}, the log's newest leaf: events were "
                "deleted from the store (run hotich verify); the log takes no event until that "
                "is resolved"
            )
        done = state.size
        added = 0
        while appended := sequencer.append_batch():
            added += appended
            if progress is not None:
                progress(done + added, max(total, done + added))
            if appended < self.batch_size:
                break
        return added

    def _still_stored(self, notification_id: int) -> bool:
        found = self.app.recorder.select_notifications(start=notification_id, limit=1)
        return bool(found) and found[0].id == notification_id

    def sign_checkpoint(self) -> StoredCheckpoint | None:
        """Sign a checkpoint of the tree if it grew since the last one."""
        with self._transaction() as conn:
            return self.checkpoints.sign_if_grown(conn)

    def keep(self, stop: threading.Event, *, interval: float = 1.0) -> None:
        """Bring the tree up to the store and sign, at most once per ``interval`` seconds when
        the tree grew, until ``stop`` is set."""
        outage = OutageLog(log, "the verifiable log's keeper")
        while not stop.is_set():
            try:
                self.catch_up()
                self.sign_checkpoint()
            except Exception as e:  # the keeper carries on; the next round retries
                outage.failed(e, "retrying")
            else:
                outage.succeeded("keeping the log again")
            stop.wait(interval)

    # ----- what readers ask --------------------------------------------------------------------
    def size(self) -> int:
        with self._read() as conn:
            return self._reader.size(conn)

    def latest(self) -> StoredCheckpoint | None:
        with self._read() as conn:
            return self.checkpoints.latest(conn)

    def checkpoint_note(self) -> str | None:
        """The newest signed checkpoint, with the witnesses' cosignatures kept for it."""
        stored = self.latest()
        return None if stored is None else stored.cosigned_note()

    def signed_checkpoint(self) -> str | None:
        """The newest checkpoint note as the log signed it (no witness's line: what an evidence
        bundle carries, every line of it checked with the log's key alone)."""
        stored = self.latest()
        return None if stored is None else stored.note

    def verifier_key(self) -> str:
        return self.signer.verifier_key()

    def tile(self, path: str) -> tuple[bytes, bool]:
        """The hashes of the tile at a tlog-tiles ``path``, and whether it is full."""
        try:
            level, index, width = parse_tile_path(path)
        except TilePathError as e:
            raise LogRequestError("path", str(e)) from None
        with self._read() as conn:
            found = self._reader.tile(conn, level, index, width)
        if found is None:
            raise NotFoundError("tile", f"{path} (the tree has none there yet)")
        return found, width == TILE_WIDTH

    def _size_checked(self, conn: Connection, size: int) -> None:
        have = self._reader.size(conn)
        if not 0 < size <= have:
            raise LogRequestError("size", f"must be between 1 and the tree's {have} leaves")

    def inclusion_proof(self, index: int, size: int) -> dict[str, Any]:
        with self._read() as conn:
            self._size_checked(conn, size)
            if not 0 <= index < size:
                raise LogRequestError("index", f"must be below size ({size})")
            hashes = self._reader.inclusion_proof(conn, index, size)
            leaf = self._reader.leaf_hash(conn, index)  # SHA-256(0x00 || the event's hash)
        return {"index": index, "size": size, "leaf_hash": _b64(leaf), "hashes": _b64s(hashes)}

    def consistency_proof(self, old: int, new: int) -> dict[str, Any]:
        with self._read() as conn:
            self._size_checked(conn, new)
            if not 0 < old <= new:
                raise LogRequestError("from", f"must be between 1 and to ({new})")
            hashes = self._reader.consistency_proof(conn, old, new)
        return {"from": old, "to": new, "hashes": _b64s(hashes)}

    def leaf_event(self, index: int) -> LogEvent:
        """Which event leaf ``index`` is (LogRequestError past the tree)."""
        with self._read() as conn:
            size = self._reader.size(conn)
            if not 0 <= index < size:
                raise LogRequestError("index", f"must be below the tree's size ({size})")
            notification_id = self._reader.leaf(conn, index)
            row = Sql(conn).rows(by_notification_sql(conn), (notification_id,))
        aggregate_id, version = row[0]
        return LogEvent(index, UUID(str(aggregate_id)), int(version), notification_id)

    def leaves_of(self, aggregate_id: UUID, versions: Sequence[int]) -> dict[int, int]:
        """Version -> leaf index of an aggregate's events that are in the tree."""
        with self._read() as conn:
            sql = Sql(conn)
            found: dict[int, int] = {}
            ident: object = aggregate_id if sql.is_postgres else aggregate_id.hex  # as stored
            for version, notification_id in sql.rows(
                of_aggregate_sql(conn), (ident, min(versions), max(versions))
            ):
                index = self._reader.leaf_index(conn, int(notification_id))
                if index is not None and int(version) in versions:
                    found[int(version)] = index
        return found

    # ----- runs of leaves checked against a checkpoint ----------------------------------------
    def _run(self, conn: Connection, stored: StoredCheckpoint, start: int, end: int) -> LeafRun:
        size = stored.checkpoint.size
        return LeafRun(
            note=stored.note,
            size=size,
            start=start,
            leaves=self._reader.leaf_hashes(conn, start, end),
            left=tuple(self._reader.subtree_hashes(conn, size, subtrees(0, start))),
            right=tuple(self._reader.subtree_hashes(conn, size, subtrees(end, size))),
            first_notification_id=self._reader.leaf(conn, start),
            last_notification_id=self._reader.leaf(conn, end - 1),
        )

    def run(self, first_notification_id: int, count: int) -> LeafRun | None:
        """The stored leaves of up to ``count`` events from the one with
        ``first_notification_id``, as a run of the newest checkpoint (None: that event is past
        it, or not in the tree)."""
        with self._read() as conn:
            latest = self.checkpoints.latest(conn)
            start = self._reader.leaf_index(conn, first_notification_id)
            if latest is None or start is None or start >= latest.checkpoint.size:
                return None
            return self._run(conn, latest, start, min(start + count, latest.checkpoint.size))

    def checked_leaves(self, first_notification_id: int, count: int) -> frozenset[bytes]:
        """The leaf hashes of :meth:`run`, once they give its signed checkpoint's root; empty
        when no checkpoint covers them, or when they do not (the stored tree was changed: the
        events are then checked by their signatures, and `hotich verify` says where)."""
        run = self.run(first_notification_id, count)
        if run is None:
            return frozenset()
        try:
            return self.runs.leaves(run)
        except RunError as e:
            log.error("the stored tree fails its checkpoint, events checked one by one: %s", e)
            return frozenset()

    def runs_between(self, old_size: int, new_size: int, leaves: int = RUN_LEAVES) -> list[LeafRun]:
        """The leaves the checkpoint of ``new_size`` adds to that of ``old_size``, as runs of at
        most ``leaves`` leaves of the checkpoint of ``new_size`` (what the relay publishes)."""
        with self._read() as conn:
            stored = self.checkpoints.get(conn, new_size)
            if stored is None or not 0 <= old_size < new_size:
                return []
            return [
                self._run(conn, stored, start, min(start + leaves, new_size))
                for start in range(old_size, new_size, leaves)
            ]

    def stored_events(self) -> Iterator[tuple[int, bytes | None]]:
        """Every stored event, (notification id, hash), in notification order; the hash is None
        for an event that cannot be opened (`hotich verify` names it on its own)."""
        after = 0
        while notifications := self.app.recorder.select_notifications(
            start=after + 1, limit=self.batch_size
        ):
            for notification in notifications:
                try:
                    yield notification.id, event_hash(self._mapper, notification)
                except CHECK_ERRORS:
                    yield notification.id, None
            after = notifications[-1].id

    def stored_checkpoints(self) -> list[str]:
        """Every checkpoint note the log signed, oldest first."""
        notes: list[str] = []
        with self._read() as conn:
            while found := self.checkpoints.after(conn, notes_size(notes), limit=1000):
                notes += [c.note for c in found]
        return notes

    def notes_after(
        self, size: int, limit: int = 100, *, relayed: int | None = None
    ) -> list[tuple[int, str]]:
        """The signed checkpoint notes of sizes above ``size``, oldest first; with ``relayed``,
        only those whose events all have notification ids up to it (published after them)."""
        notes: list[tuple[int, str]] = []
        with self._read() as conn:
            for c in self.checkpoints.after(conn, size, limit):
                covered = c.checkpoint.size
                if (
                    relayed is not None
                    and covered
                    and self._reader.leaf(conn, covered - 1) > relayed
                ):
                    break
                notes.append((covered, c.note))
        return notes

    def audit(self, against: Sequence[str] = (), verifier_key: str | None = None) -> LogAudit:
        """The tree, every stored checkpoint and ``against`` (checkpoints kept elsewhere)
        checked against the events (see infra/tlog/audit.py); ``verifier_key`` pins the log's
        key (else the one this log signs with)."""
        verifier = (
            Ed25519NoteVerifier.from_verifier_key(verifier_key)
            if verifier_key
            else self.signer.verifier()
        )
        return audit_log(
            self.stored_events(),
            read=self._read,
            tree=TreeStore(),
            stored=self.stored_checkpoints(),
            verifier=verifier,
            against=against,
        )

    def add_cosignatures(self, cosigned: str) -> int:
        """Keep the known witnesses' cosignatures of a checkpoint note this log signed; how
        many were new. LogRequestError if the note is not one of its checkpoints."""
        try:
            note = parse_note(cosigned)
            size = int(note.text.split("\n")[1])
        except (NoteError, ValueError, IndexError) as e:
            raise LogRequestError("body", f"is not a checkpoint note ({e})") from None
        with self._transaction() as conn:
            stored = self.checkpoints.get(conn, size)
            if stored is None or parse_note(stored.note).text != note.text:
                raise LogRequestError("body", "is not a checkpoint this log signed")
            known = {(w.name, w.key_id) for w in self.witnesses}
            added = 0
            for signature in note.signatures:
                if (signature.name, signature.key_id) in known:
                    line = signature.line()  # ends with its newline
                    try:
                        added += self.checkpoints.add_cosignature(conn, size, line, self.witnesses)
                    except CosignatureError as e:  # a known witness's line that does not verify
                        raise LogRequestError("body", str(e)) from None
        return added


def notes_size(notes: Sequence[str]) -> int:
    """The size of the last checkpoint note of ``notes`` (-1: none)."""
    return int(notes[-1].split("\n")[1]) if notes else -1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _b64s(hashes: Sequence[bytes]) -> list[str]:
    return [_b64(h) for h in hashes]
