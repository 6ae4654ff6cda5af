"""Feed projections in-process by polling the notification log (SQLite has no subscriptions)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

log = logging.getLogger(__name__)


class PositionedProjection(Protocol):
    def process(self, event: Any, position: int) -> None: ...


class PollingProjectionRunner:
    """Reads the log after its projections' views and hands each event to every projection.

    ``decode`` turns a stored notification into what the projections take (a domain event, or a
    checked envelope), once for all of them; it returns None for an event that must not be
    applied (quarantined). Each projection drops what its view has already seen, so the runner
    starts from the lowest position, and a poll is written in one transaction per view.
    """

    def __init__(
        self,
        app: Application[UUID],
        projections: Sequence[PositionedProjection],
        *,
        decode: Callable[[Notification], object | None] | None = None,
        batch: int = 500,
        interval: float = 0.5,
    ) -> None:
        self.app = app
        self.projections = list(projections)
        self.views = [p.view for p in self.projections if hasattr(p, "view")]
        self.decode = decode or app.mapper.to_domain_event
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
        """
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
                    notifications = self.app.recorder.select_notifications(
                        start=self.position + 1, limit=self.batch
                    )
                    if not notifications:
                        return done
                    for notification in notifications:
                        item = self.decode(notification)
                        if item is not None:
                            for projection in self.projections:
                                projection.process(item, notification.id)
                            applied += 1
                        self.position = notification.id
                        done += 1
            except BaseException:
                self.position = self.views_position()  # the batch was rolled back
                raise
            self.applied += applied
            if on_batch is not None:
                on_batch(self.position)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.catch_up()
            except Exception:  # keep serving; the next poll retries from the stored position
                log.exception("projection runner failed; retrying")
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="projection-runner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
