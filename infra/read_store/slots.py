"""Which copy of each view is live, and a view that follows it: rebuilds switch without downtime.

A view's copies are named generations: the first copy of ``portal`` is ``portal``, a rebuilt one
``portal__20261128t041200``. ``SqlViewSlots`` keeps the live generation of each view (and the one
before it) in the service database, so every process — `hotich serve`, `hotich project`, `hotich
projections rebuild` — sees the same answer. ``SwitchingView`` wraps the live copy of one view:
readers and the runner that feeds it use it like the view itself, and when the slot names another
generation it opens that copy and uses it from the next call on. A runner's batch pins the copy
it began with, so a switch never splits a transaction; a reader sees one copy per call, never a
mix. The copy left behind is closed a while later (a reader may still be using it).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from infra.service_db.database import NamedRows

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hotich_view_slots (name TEXT PRIMARY KEY, "
    "generation TEXT NOT NULL, previous TEXT, switched_at TEXT NOT NULL)"
)
RETIRED_GRACE = 60.0  # seconds a replaced copy stays open for readers still using it


def new_generation(name: str, now: dt.datetime | None = None) -> str:
    """A fresh generation name for ``name``: ``<name>__<UTC timestamp>``."""
    moment = now or dt.datetime.now(dt.UTC)
    return f"{name}__{moment.strftime('%Y%m%dt%H%M%S%f')}"


@dataclass(frozen=True)
class Switch:
    """What a switch did: the live generation now, the one it replaced, the one to drop."""

    name: str
    generation: str
    replaced: str
    dropped: str | None


class SqlViewSlots(NamedRows):
    """The live generation of each view, one row per view, in the service database."""

    table = "hotich_view_slots"
    schema = _SCHEMA

    def current(self, name: str) -> str:
        """The live generation of ``name`` (the view's own name until a rebuild switched it)."""
        generation = self._cell("generation", name)
        return str(generation) if generation is not None else name

    def previous(self, name: str) -> str | None:
        previous = self._cell("previous", name)
        return str(previous) if previous is not None else None

    def switch(self, name: str, generation: str) -> Switch:
        """Make ``generation`` live; the copy it replaces is kept as the previous one (to go
        back to), and the one before that is returned as ``dropped`` for the caller to delete."""
        replaced, dropped = self.current(name), self.previous(name)
        self._db.execute(
            "INSERT INTO hotich_view_slots (name, generation, previous, switched_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "generation = excluded.generation, previous = excluded.previous, "
            "switched_at = excluded.switched_at",
            (name, generation, replaced, dt.datetime.now(dt.UTC).isoformat()),
        )
        keep = {generation, replaced}
        return Switch(name, generation, replaced, dropped if dropped not in keep else None)


class SwitchingView:
    """The live copy of one view, followed across rebuilds (see the module docstring).

    Attribute access goes to the live copy; the slot is read at most every ``check_every``
    seconds (``refresh()`` reads it now).
    """

    def __init__(
        self,
        name: str,
        slots: SqlViewSlots,
        open_copy: Callable[[str], Any],
        *,
        check_every: float = 1.0,
    ) -> None:
        self.name = name
        self._slots = slots
        self._open = open_copy
        self._every = check_every
        self._lock = threading.Lock()
        self._pins = 0
        generation = slots.current(name)
        self._current: tuple[str, Any] = (generation, open_copy(generation))
        self._checked = time.monotonic()
        self._retired: list[tuple[float, Any]] = []

    @property
    def generation(self) -> str:
        return self._current[0]

    def live_copy(self) -> tuple[str, Any]:
        """The live generation and its copy (after reading the slot, if it is time to)."""
        if time.monotonic() - self._checked >= self._every:
            self.refresh()
        return self._current

    def live(self) -> Any:
        return self.live_copy()[1]

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.live(), attribute)

    def refresh(self) -> bool:
        """Read the slot now; open and use the named copy if it changed. False while a batch
        pins the current copy, or while another thread is already switching."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if self._pins:
                return False
            self._checked = time.monotonic()
            generation = self._slots.current(self.name)
            if generation == self.generation:
                self._close_retired()
                return False
            old = self._current[1]
            self._current = (generation, self._open(generation))
            self._retired.append((time.monotonic(), old))
            return True
        finally:
            self._lock.release()

    def _close_retired(self, grace: float = RETIRED_GRACE) -> None:
        now = time.monotonic()
        keep = []
        for since, view in self._retired:
            if now - since >= grace:
                view.close()
            else:
                keep.append((since, view))
        self._retired = keep

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The live copy's batch; no switch happens until it ends."""
        self.live()
        with self._lock:
            self._pins += 1
            view = self._current[1]
        try:
            with view.batch():
                yield
        finally:
            with self._lock:
                self._pins -= 1

    def for_stream(self, stream: str) -> SwitchingStream:
        return SwitchingStream(self, stream)

    def close(self) -> None:
        with self._lock:
            self._current[1].close()
            for _, view in self._retired:
                view.close()
            self._retired.clear()


class SwitchingStream:
    """``view.for_stream(stream)`` of whichever copy is live (positions per Kafka partition)."""

    def __init__(self, parent: SwitchingView, stream: str) -> None:
        self._parent = parent
        self._stream = stream
        self._copies: dict[str, Any] = {}

    @property
    def generation(self) -> str:
        return self._parent.generation

    def _live(self) -> Any:
        generation, live = self._parent.live_copy()
        copy = self._copies.get(generation)
        if copy is None:
            self._copies = {generation: live.for_stream(self._stream)}
            copy = self._copies[generation]
        return copy

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._live(), attribute)
