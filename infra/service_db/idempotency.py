"""SqlIdempotencyStore: the first answer to each (user, Idempotency-Key), in the service DB."""

from __future__ import annotations

import datetime as dt
import json

from digitization.idempotency import Answer, StoredAnswer
from infra.service_db.database import SqlDatabase

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hotich_idempotency (user_id TEXT NOT NULL, key TEXT NOT NULL, "
    "fingerprint TEXT NOT NULL, status INTEGER, body TEXT, headers TEXT, created_at TEXT NOT NULL, "
    "lease_until TEXT, PRIMARY KEY (user_id, key))"
)
# tables from before leases: their unanswered claims have none, so they may be taken over
_ADD_LEASE = "ALTER TABLE hotich_idempotency ADD COLUMN lease_until TEXT"


def _text(moment: dt.datetime) -> str:
    """UTC with microseconds: the same width always, so text order is time order."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


class SqlIdempotencyStore:
    def __init__(self, db: SqlDatabase) -> None:
        self._db = db
        db.execute(_SCHEMA)
        if "lease_until" not in db.columns("hotich_idempotency"):
            db.execute(_ADD_LEASE)

    def claim(
        self, user_id: str, key: str, fingerprint: str, *, now: dt.datetime, lease: dt.timedelta
    ) -> StoredAnswer | None:
        claimed = self._db.execute(
            "INSERT INTO hotich_idempotency (user_id, key, fingerprint, created_at, lease_until) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, key) DO UPDATE SET "
            "fingerprint = excluded.fingerprint, created_at = excluded.created_at, "
            "lease_until = excluded.lease_until "
            "WHERE hotich_idempotency.status IS NULL AND (hotich_idempotency.lease_until IS NULL "
            "OR hotich_idempotency.lease_until < excluded.created_at) RETURNING key",
            (user_id, key, fingerprint, _text(now), _text(now + lease)),
        )
        if claimed:
            return None
        rows = self._db.execute(
            "SELECT fingerprint, status, body, headers, lease_until FROM hotich_idempotency "
            "WHERE user_id = ? AND key = ?",
            (user_id, key),
        )
        fp, status, body, headers, lease_until = rows[0]
        answer = (
            None
            if status is None or body is None
            else Answer(status, body, json.loads(headers) if headers else {})
        )
        until = dt.datetime.fromisoformat(lease_until) if lease_until else None
        return StoredAnswer(fingerprint=fp, answer=answer, lease_until=until)

    def answer(self, user_id: str, key: str, answer: Answer) -> None:
        self._db.execute(
            "UPDATE hotich_idempotency SET status = ?, body = ?, headers = ?, lease_until = NULL "
            "WHERE user_id = ? AND key = ?",
            (answer.status, answer.body, json.dumps(answer.headers), user_id, key),
        )

    def release(self, user_id: str, key: str) -> None:
        self._db.execute(
            "DELETE FROM hotich_idempotency WHERE user_id = ? AND key = ? AND status IS NULL",
            (user_id, key),
        )
