"""Ports the use cases need; infra implements them, tests may fake them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    InfrastructureFactory,
    Mapper,
)

from domain.access import User


class EventSealing(Protocol):
    """How events are sealed (hashed, chained, signed) on their way into the store."""

    def construct_mapper(self, factory: InfrastructureFactory) -> Mapper[UUID]: ...

    def construct_event_store(
        self, mapper: Mapper[UUID], recorder: AggregateRecorder
    ) -> EventStore[UUID]: ...


@dataclass(frozen=True)
class StoredObject:
    """What a blob store holds under a key."""

    key: str
    size: int
    media_type: str


@dataclass(frozen=True)
class Retention:
    """Object-lock retention: the object cannot be overwritten or deleted before ``until``."""

    mode: str  # "GOVERNANCE" or "COMPLIANCE" (S3 Object Lock modes)
    until: dt.datetime


class ServiceUnavailableError(Exception):
    """A dependency (the event store, a database, the blob store, the broker) cannot be reached
    or did not answer in time: nothing was done, and the same request may succeed later.

    ``dependency`` names it for people ("event store", "service database", "read store",
    "blob store"); ``retry_after`` is a hint, in seconds, of when to try again.
    """

    def __init__(self, dependency: str, detail: str, *, retry_after: int = 5) -> None:
        self.dependency = dependency
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(f"{dependency} unavailable: {detail}")


class InsufficientStorageError(ServiceUnavailableError):
    """A disk hotich writes to is full: nothing was stored or recorded; retry once space was
    freed."""

    def __init__(self, dependency: str, detail: str, *, retry_after: int = 60) -> None:
        super().__init__(dependency, detail, retry_after=retry_after)


class BlobStoreError(Exception):
    """The blob store failed or refused (base of the blob errors)."""


class ObjectLockedError(BlobStoreError):
    """An overwrite or delete was refused because the object is retained."""


class BlobStoreUnavailableError(BlobStoreError, ServiceUnavailableError):
    """The blob store could not be reached or answered that it is unavailable (5xx)."""

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        ServiceUnavailableError.__init__(self, "blob store", detail, retry_after=retry_after)


class BlobStoreFullError(BlobStoreUnavailableError, InsufficientStorageError):
    """The blob store's disk is full (the embedded default's directory): nothing was stored."""

    def __init__(self, detail: str, *, retry_after: int = 60) -> None:
        BlobStoreUnavailableError.__init__(self, detail, retry_after=retry_after)


class BlobUpload(Protocol):
    """Bytes on their way to one key of a blob store, written in order: nothing is kept
    under the key, nor anywhere a reader would find it, until ``commit``."""

    def write(self, data: bytes | memoryview) -> None:
        """The next bytes (never more in all than the size announced)."""
        ...

    def commit(self) -> bool:
        """Keep the bytes under the key, with the retention the store applies; False (nothing
        written) if the key already holds an object. Raises BlobStoreError when the bytes are
        not the size and SHA-256 announced (nothing is kept then either)."""
        ...

    def abort(self) -> None:
        """Drop what was written; nothing is kept (idempotent; a no-op after commit)."""
        ...


class BlobStore(Protocol):
    """Where scanned pages live, addressed by content: bytes never change after upload."""

    def put_file(self, key: str, path: Path, *, size: int, media_type: str, sha256: str) -> bool:
        """Store the file under ``key``; False (nothing written) if the key already exists.

        ``sha256`` (hex) is recorded with the object as metadata; the adapter applies the
        configured retention where the server supports object lock.
        """
        ...

    def begin_upload(
        self, key: str, *, size: int, media_type: str, sha256: str, look_first: bool = True
    ) -> BlobUpload:
        """Start sending ``size`` bytes whose SHA-256 (hex) is ``sha256`` to ``key``, as they
        arrive (see BlobUpload). When the key already holds an object, nothing is written and
        the commit answers False; ``look_first``: look before sending any byte (a round trip,
        worth it when the bytes are many), else the store finds out on commit."""
        ...

    def stat(self, key: str) -> StoredObject | None:
        """Size and media type of the object, or None when absent."""
        ...

    def read(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Stream the object's bytes (raises BlobStoreError when absent)."""
        ...

    def presigned_get(self, key: str, expires: dt.timedelta) -> str:
        """A short-lived URL that lets a browser view the object."""
        ...

    def retention(self, key: str) -> Retention | None:
        """The object's lock retention, if the store applies one."""
        ...

    def delete(self, key: str) -> None:
        """Delete the object (raises ObjectLockedError while it is retained)."""
        ...


class UserStore(Protocol):
    """Users and their hashed bearer tokens."""

    def authenticate(self, token: str) -> User | None: ...


class LogRequestError(ValueError):
    """A question the verifiable log cannot answer as asked (an index past the tree, sizes the
    wrong way round); names the parameter (HTTP 400)."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


@dataclass(frozen=True)
class LogEvent:
    """Which stored event a leaf of the verifiable log is."""

    index: int
    aggregate_id: UUID
    version: int
    notification_id: int


class VerifiableLog(Protocol):
    """The transparency log over every stored event (hashes only: public)."""

    def checkpoint_note(self) -> str | None:
        """The newest signed checkpoint note, with the cosignatures kept for it."""
        ...

    def signed_checkpoint(self) -> str | None:
        """The newest checkpoint note as the log signed it: its own signature line only."""
        ...

    def verifier_key(self) -> str: ...

    def tile(self, path: str) -> tuple[bytes, bool]:
        """The hashes of the tile at a C2SP tlog-tiles path, and whether the tile is full."""
        ...

    def inclusion_proof(self, index: int, size: int) -> dict[str, Any]: ...

    def consistency_proof(self, old: int, new: int) -> dict[str, Any]: ...

    def leaf_event(self, index: int) -> LogEvent: ...

    def leaves_of(self, aggregate_id: UUID, versions: Sequence[int]) -> dict[int, int]: ...

    def add_cosignatures(self, cosigned: str) -> int: ...
