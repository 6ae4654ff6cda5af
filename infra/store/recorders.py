"""The event store's recorders, whose outages come out as ServiceUnavailableError.

eventsourcing's recorders raise its OperationalError or InterfaceError when the database cannot
be reached, when no pooled connection frees up in time (psycopg_pool's PoolTimeout), when a
pooled connection was closed by a server that restarted, or when SQLite is locked or its disk
full. These subclasses turn them into the use cases' ServiceUnavailableError (the API answers
503 with Retry-After); every other error (a conflict: IntegrityError) passes unchanged. The
settings name them with eventsourcing's APPLICATION_RECORDER_TOPIC (bootstrap/settings.py), which
also bounds the wait for a PostgreSQL connection and checks a pooled connection before use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from digitization.ports import ServiceUnavailableError
from infra.outages import RECONNECT_TIMEOUT, RETRY_AFTER

EVENT_STORE = "event store"

F = TypeVar("F", bound=Callable[..., Any])


def unavailable(method: F) -> F:
    """``method``, raising ServiceUnavailableError where the database was unavailable."""

    @functools.wraps(method)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (OperationalError, InterfaceError) as e:
            detail = str(e).strip() or type(e).__name__
            raise ServiceUnavailableError(EVENT_STORE, detail, retry_after=RETRY_AFTER) from e

    return cast(F, guarded)


class PostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a lost connection is replaced within about 2 s of the server's return (eventsourcing
        # keeps psycopg_pool's 5 minutes, whose pauses grow to minutes: see infra/outages.py)
        self.datastore.pool.reconnect_timeout = RECONNECT_TIMEOUT

    insert_events = unavailable(PostgresApplicationRecorder.insert_events)
    select_events = unavailable(PostgresApplicationRecorder.select_events)
    select_notifications = unavailable(PostgresApplicationRecorder.select_notifications)
    max_notification_id = unavailable(PostgresApplicationRecorder.max_notification_id)


class SqliteRecorder(SQLiteApplicationRecorder):
    insert_events = unavailable(SQLiteApplicationRecorder.insert_events)
    select_events = unavailable(SQLiteApplicationRecorder.select_events)
    select_notifications = unavailable(SQLiteApplicationRecorder.select_notifications)
    max_notification_id = unavailable(SQLiteApplicationRecorder.max_notification_id)


POSTGRES_RECORDER = f"{__name__}:PostgresRecorder"
SQLITE_RECORDER = f"{__name__}:SqliteRecorder"
