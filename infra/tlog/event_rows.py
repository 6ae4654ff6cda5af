"""The event store's events as the verifiable log reads them: each event's hash (its leaf's
data), and the events table's columns, which differ per database."""

from __future__ import annotations

import json

from eventsourcing.persistence import Notification

from infra.store.mapper import SignedEnvelopeMapper
from infra.store.scan import POSTGRES_EVENTS_TABLE, SQLITE_EVENTS_TABLE
from infra.store.seal_checks import envelope_json
from infra.tlog.database import Connection, Sql


def event_hash(mapper: SignedEnvelopeMapper, notification: Notification) -> bytes:
    """The 32-byte hash a stored event's envelope carries (the errors of
    ``infra.store.seal_checks.CHECK_ERRORS`` when it cannot be opened)."""
    envelope = json.loads(envelope_json(mapper, notification))
    return bytes.fromhex(envelope["hash"])


def events_table(conn: Connection) -> tuple[str, str]:
    """The events table and its notification id column."""
    if Sql(conn).is_postgres:
        return POSTGRES_EVENTS_TABLE, "notification_id"
    return SQLITE_EVENTS_TABLE, "rowid"


def by_notification_sql(conn: Connection) -> str:
    """The aggregate and version of the event of one notification id."""
    table, notification_id = events_table(conn)
    return (
        f"SELECT originator_id, originator_version FROM {table} "  # noqa: S608
        f"WHERE {notification_id} = ?"
    )


def of_aggregate_sql(conn: Connection) -> str:
    """The versions and notification ids of an aggregate's events between two versions."""
    table, notification_id = events_table(conn)
    return (
        f"SELECT originator_version, {notification_id} FROM {table} "  # noqa: S608
        "WHERE originator_id = ? AND originator_version BETWEEN ? AND ?"
    )
