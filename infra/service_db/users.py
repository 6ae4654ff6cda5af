"""SqlUserStore: users and SHA-256-hashed bearer tokens, in SQLite or PostgreSQL.

Tokens are shown once when issued and stored only as their SHA-256; a token is
``hotich_`` followed by 32 random bytes (URL-safe base64), so hashing needs no salt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from domain.access import ALL_DISTRICTS, User
from domain.actor import Role
from domain.errors import InvalidValueError
from domain.rules import Code
from infra.service_db.database import SqlDatabase

TOKEN_PREFIX = "hotich_"  # noqa: S105 - a prefix that marks tokens, not a secret

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS hotich_users (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "role TEXT NOT NULL, districts TEXT NOT NULL, created_at TEXT NOT NULL, "
    "created_by TEXT NOT NULL, revoked_at TEXT)",
    "CREATE TABLE IF NOT EXISTS hotich_tokens (token_sha256 TEXT PRIMARY KEY, "
    "user_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT)",
]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class SqlUserStore:
    """Users and tokens in the service database (SQLite file or PostgreSQL)."""

    def __init__(self, db: SqlDatabase) -> None:
        self._db = db
        for statement in _SCHEMA:
            self._execute(statement, ())

    def _execute(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params)

    # ----- users ----------------------------------------------------------------------------
    def add_user(
        self, user_id: str, *, name: str, role: Role, districts: Sequence[str], created_by: str
    ) -> User:
        user_id = user_id.strip()
        if not user_id or len(user_id) > 100 or any(c.isspace() for c in user_id):
            raise InvalidValueError("user_id", Code.USER_ID_FORMAT)
        if role is Role.SYSTEM:
            raise InvalidValueError("role", Code.ROLE_RESERVED)
        scope = sorted({d.strip() for d in districts if d.strip()})
        if not scope:
            raise InvalidValueError("districts", Code.DISTRICTS_REQUIRED)
        if self.get_user(user_id) is not None:
            raise InvalidValueError("user_id", Code.USER_EXISTS, user=user_id)
        self._execute(
            "INSERT INTO hotich_users (id, name, role, districts, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, name.strip() or user_id, role.value, ",".join(scope), _now(), created_by),
        )
        user = self.get_user(user_id)
        assert user is not None
        return user

    def get_user(self, user_id: str) -> User | None:
        rows = self._execute(
            "SELECT id, name, role, districts, revoked_at FROM hotich_users WHERE id = ?",
            (user_id,),
        )
        return _user(rows[0]) if rows else None

    def list_users(self) -> list[User]:
        rows = self._execute(
            "SELECT id, name, role, districts, revoked_at FROM hotich_users ORDER BY id", ()
        )
        return [_user(r) for r in rows]

    def revoke_user(self, user_id: str) -> None:
        if self.get_user(user_id) is None:
            raise InvalidValueError("user_id", Code.USER_UNKNOWN, user=user_id)
        now = _now()
        self._execute("UPDATE hotich_users SET revoked_at = ? WHERE id = ?", (now, user_id))
        self._execute(
            "UPDATE hotich_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            (now, user_id),
        )

    # ----- tokens ---------------------------------------------------------------------------
    def issue_token(self, user_id: str, *, valid_days: int | None = 365) -> str:
        """A new bearer token for the user; only its hash is kept, so show it once."""
        user = self.get_user(user_id)
        if user is None or user.revoked:
            raise InvalidValueError("user_id", Code.USER_NOT_ACTIVE, user=user_id)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        expires = (
            (now + dt.timedelta(days=valid_days)).isoformat(timespec="seconds")
            if valid_days
            else None
        )
        self._execute(
            "INSERT INTO hotich_tokens (token_sha256, user_id, created_at, expires_at) "
            "VALUES (?, ?, ?, ?)",
            (hash_token(token), user_id, now.isoformat(timespec="seconds"), expires),
        )
        return token

    def authenticate(self, token: str) -> User | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        rows = self._execute(
            "SELECT u.id, u.name, u.role, u.districts, u.revoked_at, t.expires_at, t.revoked_at "
            "FROM hotich_tokens t JOIN hotich_users u ON u.id = t.user_id "
            "WHERE t.token_sha256 = ?",
            (hash_token(token),),
        )
        if not rows:
            return None
        row = rows[0]
        expires_at, token_revoked = row[5], row[6]
        if token_revoked or row[4]:
            return None
        if expires_at and dt.datetime.fromisoformat(expires_at) <= dt.datetime.now(dt.UTC):
            return None
        return _user(row[:5])


def _user(row: Sequence[Any]) -> User:
    districts = frozenset(str(row[3]).split(","))
    return User(
        id=str(row[0]),
        name=str(row[1]),
        role=Role(row[2]),
        districts=districts if ALL_DISTRICTS not in districts else frozenset({ALL_DISTRICTS}),
        revoked=row[4] is not None,
    )
