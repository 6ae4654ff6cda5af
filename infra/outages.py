"""What the adapters share about outages: which driver errors mean "unavailable, retry later",
and logging an outage once when it starts, now and then while it lasts, and when it ends."""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from digitization.ports import ServiceUnavailableError

RETRY_AFTER = 5  # seconds a client is told to wait when a database is unavailable
RECONNECT_TIMEOUT = 5.0
"""Seconds a PostgreSQL pool keeps trying to replace a lost connection (1, 2, then 2 s apart)
before it gives up until a request needs one: psycopg_pool's 5 minutes let the pause between
attempts grow to a minute or more in a long outage, so the server back, requests still
timed out. With 5 s, a connection comes within about 2 s of the server's return."""


class IdleCheck:
    """A pool's ``check``: a connection not handed out for ``idle`` seconds or more is checked
    (an empty query: one round trip, ~0.1 ms here) before it is, so one the server closed as it
    restarted is replaced rather than used (the first read on it was a 500); one handed out
    more recently is handed out as it is, so a busy pool pays nothing (a check on every
    hand-out made a pooled SELECT 1 take 70 µs rather than 40, 175-195 rather than 110 with
    the machine busy)."""

    def __init__(self, idle: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle = idle
        self._clock = clock

    def __call__(self, conn: psycopg.Connection[Any]) -> None:
        now = self._clock()
        if now - getattr(conn, "_hotich_handed_out", -math.inf) >= self.idle:
            ConnectionPool.check_connection(conn)
        conn._hotich_handed_out = now  # type: ignore[attr-defined]


# SQLite's errors of a busy or full database (the same statement may succeed later); others,
# e.g. "no such table", are bugs and stay what they are
_SQLITE_TRANSIENT = ("locked", "busy", "full", "disk i/o", "unable to open")


def unavailable_error(error: BaseException) -> bool:
    """Whether a driver error means the database is unavailable now (not a bad statement):
    the server cannot be reached, closed the connection (it restarted), no pooled connection
    freed up in time (PoolTimeout), SQLite is locked or its disk full."""
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return any(word in message for word in _SQLITE_TRANSIENT)
    return False


@contextmanager
def database_unavailable(dependency: str) -> Iterator[None]:
    """Raise ServiceUnavailableError(dependency) for the driver errors of an outage."""
    try:
        yield
    except (psycopg.Error, sqlite3.Error) as e:
        if not unavailable_error(e):
            raise
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ServiceUnavailableError(dependency, detail, retry_after=RETRY_AFTER) from e


class OutageLog:
    """Logs a failing loop (the relay, a projection runner) once when it starts failing, then
    every ``every`` seconds while it keeps failing, and once when it works again."""

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        *,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.what = what
        self.every = every
        self._clock = clock
        self._since: float | None = None
        self._logged = 0.0
        self.failures = 0

    @property
    def failing(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException, retrying: str) -> None:
        now = self._clock()
        self.failures += 1
        if self._since is None:
            self._since = self._logged = now
            self.log.error("%s: %s; %s", self.what, error, retrying)
        elif now - self._logged >= self.every:
            self._logged = now
            self.log.error(
                "%s: still failing after %.0f s (%d attempts): %s; %s",
                self.what,
                now - self._since,
                self.failures,
                error,
                retrying,
            )

    def succeeded(self, resumed: str) -> None:
        if self._since is None:
            return
        self.log.warning(
            "%s: working again after %.0f s (%d failed attempts); %s",
            self.what,
            self._clock() - self._since,
            self.failures,
            resumed,
        )
        self._since = None
        self.failures = 0
