"""SqlIdempotencyStore: the first answer to each (user, Idempotency-Key), in the service DB."""

from __future__ import annotations

import datetime as dt
import json

from api.idempotency import StoredAnswer
from infra.service_db.database import SqlDatabase

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hotich_idempotency (user_id TEXT NOT NULL, key TEXT NOT NULL, "
    "fingerprint TEXT NOT NULL, status INTEGER, body TEXT, headers TEXT, created_at TEXT NOT NULL, "
    "PRIMARY KEY (user_id, key))"
)


class SqlIdempotencyStore:
    def __init__(self, db: SqlDatabase) -> None:
        self._db = db
        db.execute(_SCHEMA)

    def claim(self, user_id: str, key: str, fingerprint: str) -> StoredAnswer | None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        inserted = self._db.execute(
            "INSERT INTO hotich_idempotency (user_id, key, fingerprint, created_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (user_id, key) DO NOTHING RETURNING key",
            (user_id, key, fingerprint, now),
        )
        if inserted:
            return None
        rows = self._db.execute(
            "SELECT fingerprint, status, body, headers FROM hotich_idempotency "
            "WHERE user_id = ? AND key = ?",
            (user_id, key),
        )
        fp, status, body, headers = rows[0]
        return StoredAnswer(
            fingerprint=fp, status=status, body=body, headers=json.loads(headers) if headers else {}
        )

    def answer(
        self, user_id: str, key: str, status: int, body: str, headers: dict[str, str]
    ) -> None:
        self._db.execute(
            "UPDATE hotich_idempotency SET status = ?, body = ?, headers = ? "
            "WHERE user_id = ? AND key = ?",
            (status, body, json.dumps(headers), user_id, key),
        )

    def release(self, user_id: str, key: str) -> None:
        self._db.execute(
            "DELETE FROM hotich_idempotency WHERE user_id = ? AND key = ? AND status IS NULL",
            (user_id, key),
        )
