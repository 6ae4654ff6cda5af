"""Idempotency keys: a command retried with the same key gets the first answer and records
nothing twice.

The first request with a key claims it, runs, and stores its answer; a retry replays that
answer. A claim is a lease: if the request that holds it dies (the server is killed, the
machine stops) before answering, the claim is taken over once the lease is over, and the
command runs again. Until then a retry is told to wait (:class:`RequestInProgressError`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

MAX_KEY_LENGTH = 200
DEFAULT_LEASE = dt.timedelta(seconds=60)  # longer than a command runs; an upload's is longer


@dataclass(frozen=True)
class Answer:
    """The first answer to a request, as sent (status, body, the headers worth replaying)."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    answer: Answer | None  # None while the first request is still being processed
    lease_until: dt.datetime | None = None  # when an unanswered claim may be taken over


class IdempotencyStore(Protocol):
    def claim(
        self, user_id: str, key: str, fingerprint: str, *, now: dt.datetime, lease: dt.timedelta
    ) -> StoredAnswer | None:
        """Claim the key for this request until ``now + lease``; None if claimed now (a new
        key, or one whose claim's lease ran out unanswered), else what is stored for it."""
        ...

    def answer(self, user_id: str, key: str, answer: Answer) -> None: ...

    def release(self, user_id: str, key: str) -> None:
        """Forget a claim whose request failed unexpectedly, so a retry can run it."""
        ...


class IdempotencyError(Exception):
    """Base of the refusals of a key."""


class InvalidKeyError(IdempotencyError):
    def __init__(self) -> None:
        super().__init__(f"Idempotency-Key: must be 1 to {MAX_KEY_LENGTH} characters")


class KeyReusedError(IdempotencyError):
    def __init__(self) -> None:
        super().__init__(
            "Idempotency-Key: was used for a different request; use a new key per request"
        )


class RequestInProgressError(IdempotencyError):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            "Idempotency-Key: the first request with this key is still being processed"
        )


@dataclass(frozen=True)
class Once:
    """Runs each (user, key) once; see the module's docstring."""

    store: IdempotencyStore
    lease: dt.timedelta = DEFAULT_LEASE
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def run(
        self, user_id: str, key: str, fingerprint: str, command: Callable[[], Answer]
    ) -> tuple[Answer, bool]:
        """The command's answer, or the first answer stored for the key; and whether it is a
        replay. An answer of 5xx is not kept: the retry runs the command again."""
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise InvalidKeyError()
        now = self.clock()
        stored = self.store.claim(user_id, key, fingerprint, now=now, lease=self.lease)
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise KeyReusedError()
            if stored.answer is None:
                left = (stored.lease_until or now) - now
                raise RequestInProgressError(max(1, int(left.total_seconds()) + 1))
            return stored.answer, True
        try:
            answer = command()
        except BaseException:
            self.store.release(user_id, key)
            raise
        if answer.status >= 500:
            self.store.release(user_id, key)
        else:
            self.store.answer(user_id, key, answer)
        return answer, False
