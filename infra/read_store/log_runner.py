"""Feed projections in-process by polling the notification log (SQLite has no subscriptions)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import Application

from digitization.ports import ServiceUnavailableError
from infra.outages import OutageLog, unavailable_error
from infra.store.notifications import PageReader, Stored, page_reader

log = logging.getLogger(__name__)


class PositionedProjection(Protocol):
    def process(self, event: Any, position: int) -> None: ...


def apply_batch(projection: Any, items: Sequence[tuple[Any, int]], position: int) -> None:
    """Hand a batch to a projection: folded at once (``process_batch``), or one event at a time
    by a projection that takes only single events (the catalogue's, a test's)."""
    batch = getattr(projection, "process_batch", None)
    if batch is not None:
        batch(items, position)
    else:
        for item, at in items:
            projection.process(item, at)


class PollingProjectionRunner:
    """Reads the log after its projections' views and hands each batch to every projection.

    ``decode`` turns a stored notification into what the projections take (a domain event, or a
    checked envelope), once for all of them; it returns None for an event that must not be
    applied (quarantined): the batch's position still moves past it, so it is quarantined once.
    Each projection drops what its view has already seen, so the runner starts from the lowest
    position, and a batch is folded and written in one transaction per view.
    """

    def __init__(
        self,
        app: Application[UUID],
        projections: Sequence[PositionedProjection],
        *,
        decode: Callable[[Any], object | None] | None = None,  # (a Stored notification)
        batch: int = 1000,
        interval: float = 0.5,
        read: PageReader | None = None,
    ) -> None:
        self.app = app
        self.projections = list(projections)
        self.views = [p.view for p in self.projections if hasattr(p, "view")]
        self.decode: Callable[[Any], object | None] = decode or app.mapper.to_domain_event
        self.read = read or page_reader(app.recorder)
        self.position = self.views_position()
        self.batch = batch
        self.interval = interval
        self.applied = 0  # events handed to the projections in committed batches (metrics)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def views_position(self) -> int:
        """Where to resume: the lowest position of the views (0 without views)."""
        return min((int(view.position()) for view in self.views), default=0)

    def catch_up(self, on_batch: Callable[[int], None] | None = None) -> int:
        """Process everything recorded so far; returns how many events were processed.

        Each batch reads where the views are inside the views' own transactions, so a view
        switched to a rebuilt copy (see infra/read_store/slots.py) is fed from that copy's
        position. ``on_batch`` gets the position reached after each batch.

        A decoder with ``submit`` (SealChecker) decodes the next batch while this one is
        applied; that read-ahead is used only if the next batch starts where the views are.
        """
        submit = getattr(self.decode, "submit", None)
        ahead: tuple[int, Sequence[Stored], Callable[[], Sequence[object | None]]] | None = None
        done = 0
        while True:
            applied = 0
            try:
                with contextlib.ExitStack() as stack:
                    for view in self.views:
                        if hasattr(view, "batch"):
                            stack.enter_context(view.batch())
                    if self.views:
                        self.position = self.views_position()
                    if ahead is not None and ahead[0] == self.position + 1:
                        _, notifications, decoded = ahead
                    else:
                        notifications = self._read(self.position + 1)
                        decoded = self._decoder(notifications, submit)
                    ahead = None
                    if not notifications:
                        return done
                    if len(notifications) == self.batch:  # more may follow: start on them
                        start = notifications[-1].id + 1
                        following = self._read(start)
                        ahead = (start, following, self._decoder(following, submit))
                    items = [
                        (item, notification.id)
                        for notification, item in zip(notifications, decoded(), strict=True)
                        if item is not None
                    ]
                    position = notifications[-1].id
                    for projection in self.projections:
                        apply_batch(projection, items, position)
                    applied = len(items)
                    self.position = position
                    done += len(notifications)
            except BaseException:
                self.position = self.views_position()  # the batch was rolled back
                raise
            self.applied += applied
            if on_batch is not None:
                on_batch(self.position)

    def _read(self, start: int) -> Sequence[Stored]:
        return self.read(start, self.batch)

    def _decoder(
        self, notifications: Sequence[Stored], submit: Any
    ) -> Callable[[], Sequence[object | None]]:
        if submit is not None:
            decoded: Callable[[], Sequence[object | None]] = submit(notifications)
            return decoded
        return lambda: [self.decode(n) for n in notifications]

    def _run(self) -> None:
        outage = OutageLog(log, "projection runner")
        while not self._stop.is_set():
            try:
                self.catch_up()
            except Exception as e:  # keep serving; the next poll retries from the stored position
                if isinstance(e, ServiceUnavailableError) or unavailable_error(e):
                    # a database is down: said once, then every minute, not at every poll
                    outage.failed(e, f"retrying from position {self.position}")
                else:
                    log.exception("projection runner failed; retrying")
            else:
                outage.succeeded(f"at position {self.position}")
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="projection-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
