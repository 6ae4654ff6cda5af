"""Feed projections in-process by polling the notification log (SQLite has no subscriptions)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

log = logging.getLogger(__name__)


class PositionedProjection(Protocol):
    def process(self, event: Any, position: int) -> None: ...


class PollingProjectionRunner:
    """Reads the log after the view's position and hands each event to the projection.

    ``decode`` turns a stored notification into what the projection takes (a domain event, or a
    checked envelope); it returns None for an event that must not be applied (quarantined).
    """

    def __init__(
        self,
        app: Application[UUID],
        projection: PositionedProjection,
        position: int,
        *,
        decode: Callable[[Notification], object | None] | None = None,
        batch: int = 500,
        interval: float = 0.5,
    ) -> None:
        self.app = app
        self.projection = projection
        self.decode = decode or app.mapper.to_domain_event
        self.position = position
        self.batch = batch
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def catch_up(self) -> int:
        """Process everything recorded so far; returns how many events were processed."""
        done = 0
        while True:
            notifications = self.app.recorder.select_notifications(
                start=self.position + 1, limit=self.batch
            )
            if not notifications:
                return done
            view = getattr(self.projection, "view", None)
            batch = getattr(view, "batch", None)
            try:
                with batch() if batch is not None else contextlib.nullcontext():
                    for notification in notifications:
                        item = self.decode(notification)
                        if item is not None:
                            self.projection.process(item, notification.id)
                        self.position = notification.id
                        done += 1
            except BaseException:
                if view is not None:  # the batch was rolled back: resume where the view is
                    self.position = view.position()
                raise

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
