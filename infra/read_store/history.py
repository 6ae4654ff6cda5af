"""SqlHistoryView: every event of every entry (who did what, when, with which key), in one
view database (SQLite or PostgreSQL, infra/read_store/database.py).

It may share its database with the portal (infra/read_store/portal.py): their tables and
tracking rows differ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from uuid import UUID

from infra.read_store.database import Row, TrackedView, Writer, marks, row_params
from projections.record_history import HistoryItem

_HISTORY = "record_history"
_HISTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS record_history (
    entry_id TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL,
    actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, occurred_at TEXT NOT NULL,
    hash TEXT NOT NULL, key_id TEXT NOT NULL,
    PRIMARY KEY (entry_id, version)) WITHOUT ROWID;
"""


_INSERT = (
    "INSERT INTO record_history (version, event_type, actor_id, actor_role, occurred_at, "
    "hash, key_id, entry_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (entry_id, version) DO NOTHING"
)


class SqlHistoryView(TrackedView):
    """Every event of every entry, in version order."""

    NAME = _HISTORY
    SCHEMA = _HISTORY_SCHEMA

    def save(self, position: int, item: HistoryItem | None) -> None:
        self.save_many(position, [] if item is None else [item])

    def save_many(self, position: int, items: Sequence[HistoryItem]) -> None:
        """Store ``items`` and ``position`` in one transaction, unless already past it."""

        def apply(db: Writer) -> None:
            db.executemany(_INSERT, [row_params(item) for item in items])

        self._db.write(self._tracking, position, apply)

    def history(self, entry_id: UUID) -> list[HistoryItem]:
        rows = self._db.query(
            "SELECT * FROM record_history WHERE entry_id=? ORDER BY version", (str(entry_id),)
        )
        return [_item(r) for r in rows]

    def histories(self, entry_ids: Sequence[UUID]) -> dict[UUID, list[HistoryItem]]:
        """The history of each entry (empty for one with none), in one SELECT."""
        found: dict[UUID, list[HistoryItem]] = {i: [] for i in entry_ids}
        if not found:
            return found
        asked = {str(i): i for i in found}  # each row's entry, without parsing its id again
        rows = self._db.query(
            f"SELECT * FROM record_history WHERE entry_id IN ({marks(len(asked))}) "  # noqa: S608
            "ORDER BY entry_id, version",
            list(asked),
        )
        for r in rows:
            entry_id = asked[r["entry_id"]]
            found[entry_id].append(_item(r, entry_id))
        return found


def _item(r: Row, entry_id: UUID | None = None) -> HistoryItem:
    return HistoryItem(
        entry_id=UUID(r["entry_id"]) if entry_id is None else entry_id,
        version=r["version"],
        event_type=r["event_type"],
        actor_id=r["actor_id"],
        actor_role=r["actor_role"],
        occurred_at=dt.datetime.fromisoformat(r["occurred_at"]),
        hash=r["hash"],
        key_id=r["key_id"],
    )
