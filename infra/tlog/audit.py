"""Checking the verifiable log against the events themselves, for `hotich verify`.

The events are read once, in notification order, and their leaf hashes folded into a Merkle
frontier (the perfect subtrees of the sizes seen so far), so the root of the first n events is
known for every n on the way, in O(log n) memory. Against it:

* the stored tree: leaf i is the i-th event's hash (the level-0 tiles, compared as they pass);
* every stored checkpoint: its signature is the log's, and its root is the events' root at its
  size (so the checkpoints are consistent with one another, and with the events);
* a checkpoint kept elsewhere (``against``): signed by the log, and still the events' root at its
  size. A store that lost its tail, an aggregate or was put back to an earlier copy of itself
  no longer gives that root, whatever its own tree and checkpoints say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from infra.tlog.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from infra.tlog.database import Connection
from infra.tlog.hashing import EMPTY_ROOT, leaf_hash, node_hash
from infra.tlog.note import NoteVerifier
from infra.tlog.tiles import FULL_TILE_BYTES, TILE_WIDTH
from infra.tlog.tree_store import TreeStore

MAX_PROBLEMS = 20


class Frontier:
    """The roots of the perfect subtrees that make up the first ``size`` leaves, largest first."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (leaves in the subtree, its hash)

    def add(self, leaf: bytes) -> None:
        count, node = 1, leaf
        while self._stack and self._stack[-1][0] == count:
            left = self._stack.pop()[1]
            count, node = count * 2, node_hash(left, node)
        self._stack.append((count, node))
        self.size += 1

    def root(self) -> bytes:
        """RFC 6962's root of the leaves added so far."""
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


@dataclass
class LogAudit:
    events: int = 0
    tree_size: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def fail(self, problem: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def audit_log(
    events: Iterable[tuple[int, bytes | None]],
    *,
    read: Callable[[], AbstractContextManager[Connection]],
    tree: TreeStore,
    stored: Sequence[str],
    verifier: NoteVerifier,
    against: Sequence[str] = (),
) -> LogAudit:
    """Check the tree, the stored checkpoint notes and those kept elsewhere against ``events``
    ((notification id, hash), in notification order; hash None: an event that cannot be opened,
    which the events' own check names; the tree's leaf stands in for it)."""
    audit = LogAudit()
    wanted: dict[int, list[tuple[str, Checkpoint]]] = {}
    for source, notes in (("stored checkpoint", stored), ("checkpoint kept elsewhere", against)):
        for note in notes:
            try:
                checkpoint, _, _ = open_checkpoint(note, verifier)
            except CheckpointError as e:
                audit.fail(f"{source}: not signed by the log {verifier.name}: {e}")
                continue
            wanted.setdefault(checkpoint.size, []).append((source, checkpoint))
            audit.checkpoints += source == "stored checkpoint"
    frontier = Frontier()
    with read() as conn:  # one snapshot of the tree for the whole walk
        audit.tree_size = tree.size(conn)
        leaves = StoredLeaves(tree, conn, audit.tree_size)
        diverged = False  # after the first difference, every later leaf differs too
        for notification_id, event_hash in events:
            index = frontier.size
            if event_hash is None:
                frontier.add(leaves.at(index) or b"\0" * 32)
                _compare(audit, wanted.pop(frontier.size, []), frontier.root())
                continue
            leaf = leaf_hash(event_hash)
            if index < audit.tree_size and not diverged and leaves.at(index) != leaf:
                diverged = True
                audit.fail(_divergence(tree, conn, index, notification_id))
            frontier.add(leaf)
            _compare(audit, wanted.pop(frontier.size, []), frontier.root())
    audit.events = frontier.size
    if audit.tree_size > audit.events:
        audit.fail(
            f"the tree holds {audit.tree_size} leaves but the store {audit.events} events: "
            f"{audit.tree_size - audit.events} events are missing from the store"
        )
    for size, found in sorted(wanted.items()):
        for source, _ in found:
            audit.fail(
                f"{source} of size {size}: the store holds only {audit.events} events, "
                f"{size - audit.events} of the events it covered are missing "
                "(deleted, or the store was put back to an earlier copy)"
            )
    return audit


def _divergence(tree: TreeStore, conn: Connection, index: int, notification_id: int) -> str:
    """What the tree says leaf ``index`` was, where the events no longer agree."""
    was = tree.leaf(conn, index)
    if was < notification_id:
        return (
            f"leaf {index} of the tree was event {was}, which the store no longer holds "
            f"(its next event there is {notification_id}): events were deleted"
        )
    return (
        f"leaf {index} of the tree is event {was}, whose hash the store's event "
        f"{notification_id} does not have: the tree and the events differ from here"
    )


class StoredLeaves:
    """The tree's leaf hashes as stored, read a level-0 tile at a time."""

    def __init__(self, tree: TreeStore, conn: Connection, size: int) -> None:
        self.tree, self.conn, self.size = tree, conn, size
        self._index = -1
        self._tile = b""

    def at(self, index: int) -> bytes:
        """Leaf ``index``'s hash ("" past the tree)."""
        if index >= self.size:
            return b""
        if index // TILE_WIDTH != self._index:
            self._index = index // TILE_WIDTH
            width = min(TILE_WIDTH, self.size - self._index * TILE_WIDTH)
            found = self.tree.tile(self.conn, 0, self._index, width)
            self._tile = found or b"\0" * FULL_TILE_BYTES
        offset = (index % TILE_WIDTH) * 32
        return self._tile[offset : offset + 32]


def _compare(audit: LogAudit, found: list[tuple[str, Checkpoint]], root: bytes) -> None:
    for source, checkpoint in found:
        if checkpoint.root != root:
            audit.fail(
                f"{source} of size {checkpoint.size}: its root is not that of the store's first "
                f"{checkpoint.size} events (events were deleted, changed or reordered, or the "
                "store was put back to an earlier copy)"
            )
