"""The portal's audit trail: every read and search, who made it, when, and what it returned.

A read is answered only once its audit entry is stored: if the store fails, the read fails
(``AuditUnavailableError``, HTTP 503), so there is no unaudited answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol
from uuid import UUID


class AuditUnavailableError(Exception):
    """The audit trail could not be written or read (HTTP 503)."""


@dataclass(frozen=True)
class PortalRead:
    """One audited portal request."""

    request_id: str
    at: dt.datetime  # UTC
    actor_id: str
    actor_role: str
    action: str  # e.g. "search_by_name", "get_record", "get_evidence"
    query: dict[str, Any]  # the request's parameters as given
    record_ids: tuple[UUID, ...]  # what the answer held, in its order


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    since: dt.datetime | None = None  # inclusive
    until: dt.datetime | None = None  # exclusive
    record: UUID | None = None


class AuditKey(NamedTuple):
    """Where an entry sits in the audit's order (newest first)."""

    at: str  # ISO 8601, UTC, microseconds
    request_id: str


class PortalAudit(Protocol):
    def record(self, read: PortalRead) -> None:
        """Store the entry; raise AuditUnavailableError if it could not be stored."""
        ...

    def list_reads(
        self, where: AuditFilter, *, after: AuditKey | None, limit: int
    ) -> list[tuple[AuditKey, PortalRead]]:
        """Entries newest first, after ``after``; AuditUnavailableError if unreadable."""
        ...
