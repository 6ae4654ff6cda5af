"""The envelope read models as `hotich serve` and `hotich project` open them, wrapped so that
the pipeline benchmark learns when each event became visible in all three views."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from infra.messaging.consumer import Target
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.live_views import ENVELOPE_MODELS, LiveViews
from infra.read_store.slots import SqlViewSlots
from infra.service_db.database import SqlDatabase
from projections.envelope import Envelope

Key = tuple[UUID, int]  # (aggregate id, version)


class Models:
    """Empty envelope read models in ``directory``: LiveViews over SQLite files, each view
    following its slot in the service database (SwitchingView)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.service = SqlDatabase(sqlite_path=directory / "service.sqlite")
        self.live = LiveViews(ReadStoreBackend.sqlite(directory), SqlViewSlots(self.service))

    def projections(self) -> list[Any]:
        return self.live.projections(ENVELOPE_MODELS)

    def projection_types(self) -> list[tuple[Any, Any]]:
        return self.live.projection_types(ENVELOPE_MODELS)

    def close(self) -> None:
        self.live.close()
        self.service.close()


class Stamps:
    """When each event became visible in all three views: the keys a batch applied are stamped
    once the batch committed (a reader sees nothing of a batch before that)."""

    def __init__(self) -> None:
        self.applied: dict[Key, float] = {}
        self.pending: list[Key] = []
        self.last = 0.0

    def note(self, envelope: Envelope) -> None:
        self.pending.append((envelope.aggregate_id, envelope.version))

    def commit(self) -> None:
        if self.pending:
            self.last = now = time.monotonic()
            for key in self.pending:
                self.applied.setdefault(key, now)
            self.pending.clear()


class StampedView:
    """A view whose batches stamp what was applied in them once they committed; every other
    attribute is the view's own. Wraps the first view the runners enter (the last to commit)."""

    def __init__(self, inner: Any, stamps: Stamps) -> None:
        self.inner = inner
        self.stamps = stamps

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        with self.inner.batch():
            yield
        self.stamps.commit()


class Noting:
    """A projection that notes each event it applied, then the projection itself."""

    def __init__(self, inner: Any, stamps: Stamps) -> None:
        self.inner = inner
        self.view = inner.view  # the in-process runner batches the views it finds here
        self.stamps = stamps

    def process(self, envelope: Envelope, position: int) -> None:
        self.inner.process(envelope, position)
        self.stamps.note(envelope)

    def process_batch(self, items: Sequence[tuple[Envelope, int]], position: int) -> None:
        self.inner.process_batch(items, position)
        for envelope, _ in items:
            self.stamps.note(envelope)


def stamped_projections(models: Models, stamps: Stamps) -> list[Any]:
    """The three projections as web.py builds them, stamping what each committed batch applied."""
    (first, first_type), *rest = models.projection_types()
    projections = [first_type(StampedView(first, stamps))]
    projections += [projection(view) for view, projection in rest]
    projections[-1] = Noting(projections[-1], stamps)
    return projections


def stamped_targets(models: Models, stamps: Stamps) -> list[Target]:
    """The three targets as `hotich project` builds them, stamping as above."""
    (first, first_type), *rest = models.projection_types()
    *targets, (last, last_type) = [(StampedView(first, stamps), first_type), *rest]
    return [
        *(Target(view, projection) for view, projection in targets),
        Target(last, lambda view: Noting(last_type(view), stamps)),
    ]
