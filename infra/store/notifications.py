"""Reading the notification log a page at a time, as the runners and the relay read it.

eventsourcing's ``select_notifications`` makes a ``Notification`` per row and parses each
SQLite row's originator id into a UUID: ~5 µs an event that the runners, which read every event
and use the id only to name an event that fails, do not need. On SQLite the page is read here
as rows; elsewhere (PostgreSQL hands back UUIDs already) through eventsourcing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.sqlite import SQLiteApplicationRecorder

from infra.store.recorders import unavailable


class StoredNotification(NamedTuple):
    """A stored event and its place in the log, as read (the originator id as stored)."""

    id: int
    originator_id: UUID | str
    originator_version: int
    topic: str
    state: bytes


Stored = Notification | StoredNotification
PageReader = Callable[[int, int], Sequence[Stored]]  # (first notification id, limit)


def page_reader(recorder: ApplicationRecorder) -> PageReader:
    """Reads up to ``limit`` notifications from ``start`` on, in order."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        sql = (
            "SELECT rowid, originator_id, originator_version, topic, state "  # noqa: S608
            f"FROM {recorder.events_table_name} WHERE rowid>=? ORDER BY rowid LIMIT ?"
        )
        make = StoredNotification._make

        def read(start: int, limit: int) -> list[Stored]:
            cursor: Any
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(sql, (start, limit))
                return [make(row) for row in cursor.fetchall()]

        return unavailable(read)  # an outage: ServiceUnavailableError, as the recorder's own

    def select(start: int, limit: int) -> Sequence[Stored]:
        return recorder.select_notifications(start=start, limit=limit)

    return select
