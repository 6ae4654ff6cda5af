"""Runs of leaves checked against a signed checkpoint: one signature for many events.

A run is the leaf hashes ``[start, end)`` of the tree of a checkpoint of ``size`` leaves, with
what it takes to compute that tree's root from them alone: the hashes of the perfect subtrees
left of the run (``subtrees(0, start)``) and right of it (``subtrees(end, size)``). Folded in
order, as a binary counter folds them, they give the root of the tree of ``size``; when that is
the root the log signed, every leaf of the run is the tree's (finding others that give the same
root is finding a SHA-256 collision). An event whose leaf hash (SHA-256 of 0x00 and its 32-byte
hash) is among a checked run's, and whose content hashes to its stated hash, is the event the
log holds: its own signature need not be checked too.

Runs come from the stored tree (:meth:`SqlTransparencyLog.run`, for the in-process runners) or
from Kafka (the relay publishes them, ``hotich.leaves.v1``; see infra/messaging/leaves.py).
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from infra.tlog.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from infra.tlog.hashing import EMPTY_ROOT, HASH_SIZE, node_hash
from infra.tlog.note import NoteVerifier
from infra.tlog.proofs import subtrees

SPEC = "hotich.leaves/1"
VERIFIED_NOTES = 64  # checkpoints whose signature a checker remembers having verified


class RunError(ValueError):
    """A run is malformed, its checkpoint is not the log's, or its leaves do not give the
    checkpoint's root."""


@dataclass(frozen=True)
class LeafRun:
    """Leaves ``[start, end)`` of the tree a signed checkpoint (``note``) names, and the subtree
    hashes left and right of them. The notification ids of the run's first and last events are
    hints for readers (which events it covers), not part of what is checked."""

    note: str
    size: int
    start: int
    leaves: bytes  # the Merkle leaf hashes, 32 bytes each, end to end
    left: tuple[bytes, ...]
    right: tuple[bytes, ...]
    first_notification_id: int = 0
    last_notification_id: int = 0

    @property
    def end(self) -> int:
        return self.start + len(self.leaves) // HASH_SIZE

    def leaf_hashes(self) -> Iterator[bytes]:
        data = self.leaves
        return (data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE))

    def root(self) -> bytes:
        """The root of the tree of ``size`` the run's hashes give."""
        if len(self.leaves) % HASH_SIZE or not 0 <= self.start <= self.end <= self.size:
            raise RunError(f"a run of leaves [{self.start}, {self.end}) of {self.size} leaves")
        heights_left = [h for h, _ in subtrees(0, self.start)]
        heights_right = [h for h, _ in subtrees(self.end, self.size)]
        if len(heights_left) != len(self.left) or len(heights_right) != len(self.right):
            raise RunError("a run's subtree hashes do not fit its place in the tree")
        stack: list[tuple[int, bytes]] = []  # (leaves under it, hash): a binary counter

        def push(count: int, node: bytes) -> None:
            while stack and stack[-1][0] == count:
                node = node_hash(stack.pop()[1], node)
                count *= 2
            stack.append((count, node))

        for height, node in zip(heights_left, self.left, strict=True):
            push(1 << height, node)
        for leaf in self.leaf_hashes():
            push(1, leaf)
        for height, node in zip(heights_right, self.right, strict=True):
            push(1 << height, node)
        if not stack:
            return EMPTY_ROOT
        root = stack[-1][1]
        for _, left in reversed(stack[:-1]):
            root = node_hash(left, root)
        return root

    # ----- as published on Kafka ------------------------------------------------------------
    def to_json(self) -> bytes:
        b64 = base64.b64encode
        return orjson.dumps(
            {
                "spec": SPEC,
                "checkpoint": self.note,
                "start": self.start,
                "end": self.end,
                "leaves": b64(self.leaves).decode(),
                "left": [b64(h).decode() for h in self.left],
                "right": [b64(h).decode() for h in self.right],
                "first_notification_id": self.first_notification_id,
                "last_notification_id": self.last_notification_id,
            }
        )

    @classmethod
    def from_json(cls, value: bytes) -> LeafRun:
        try:
            data: Any = orjson.loads(value)
            if data.get("spec") != SPEC:
                raise RunError(f"spec must be {SPEC}")
            note = str(data["checkpoint"])
            run = cls(
                note=note,
                size=Checkpoint.parse(note.split("\n\n", 1)[0] + "\n").size,
                start=int(data["start"]),
                leaves=_b64(data["leaves"]),
                left=tuple(_b64(h) for h in data["left"]),
                right=tuple(_b64(h) for h in data["right"]),
                first_notification_id=int(data["first_notification_id"]),
                last_notification_id=int(data["last_notification_id"]),
            )
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as e:
            raise RunError(f"not a run of leaves: {e}") from e
        if run.end != int(data["end"]):
            raise RunError("a run's end does not match its leaves")
        return run


def _b64(text: Any) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError) as e:
        raise RunError("a run's hashes are base64") from e


class RunChecker:
    """Checks runs against the log's key, verifying each checkpoint's signature once."""

    def __init__(self, verifier: NoteVerifier) -> None:
        self.verifier = verifier
        self._verified: OrderedDict[str, Checkpoint] = OrderedDict()
        self._lock = threading.Lock()

    def checkpoint(self, note: str) -> Checkpoint:
        """The checkpoint of a note the log signed (RunError if it did not)."""
        with self._lock:
            known = self._verified.get(note)
            if known is not None:
                self._verified.move_to_end(note)
                return known
        try:
            checkpoint, _, _ = open_checkpoint(note, self.verifier)
        except CheckpointError as e:
            raise RunError(f"the run's checkpoint: {e}") from e
        with self._lock:
            self._verified[note] = checkpoint
            while len(self._verified) > VERIFIED_NOTES:
                self._verified.popitem(last=False)
        return checkpoint

    def leaves(self, run: LeafRun) -> frozenset[bytes]:
        """The run's leaf hashes, once they give the root of its signed checkpoint."""
        checkpoint = self.checkpoint(run.note)
        if checkpoint.size != run.size:
            raise RunError("a run's size is not its checkpoint's")
        if run.root() != checkpoint.root:
            raise RunError(
                f"leaves [{run.start}, {run.end}) do not give the root of the checkpoint of "
                f"size {run.size}: they are not the log's"
            )
        return frozenset(run.leaf_hashes())
