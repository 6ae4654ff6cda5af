"""The one writer that brings the tree up to the event store, batch by batch.

Events are stored first; the sequencer then reads those not yet in the tree from a source the
caller gives (``after_notification_id, limit -> [(notification_id, event hash)]``, in
notification order) and appends them, one transaction per batch. Run one sequencer per log:
the tree's row lock (PostgreSQL) or the database lock (SQLite) makes a second one wait, and
its batch is then refused as already appended.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from infra.tlog.database import Transaction
from infra.tlog.tree_store import Leaf, TreeStore

LeafSource = Callable[[int, int], Sequence[Leaf]]


class Sequencer:
    def __init__(
        self,
        store: TreeStore,
        transaction: Transaction,
        source: LeafSource,
        *,
        batch_size: int = 500,
    ) -> None:
        if batch_size < 1:
            raise ValueError("a batch holds at least one leaf")
        self.store = store
        self.transaction = transaction
        self.source = source
        self.batch_size = batch_size

    def append_batch(self) -> int:
        """Append the next batch the source has (in one transaction); how many leaves."""
        with self.transaction() as conn:
            state = self.store.state(conn, lock=True)
            leaves = self.source(state.last_notification_id, self.batch_size)
            self.store.append(conn, leaves)
        return len(leaves)

    def catch_up(self) -> int:
        """Append everything the source has now; how many leaves."""
        total = 0
        while True:
            appended = self.append_batch()
            total += appended
            if appended < self.batch_size:
                return total

    def run(self, stop: threading.Event, *, idle_seconds: float = 0.5) -> None:
        """Catch up, then again whenever ``idle_seconds`` passed, until ``stop`` is set."""
        while not stop.is_set():
            self.catch_up()
            stop.wait(idle_seconds)
