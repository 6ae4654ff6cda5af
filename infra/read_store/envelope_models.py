"""The read models built from signed envelopes, opened in one place for every runner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.read_store.backend import ReadStoreBackend
from infra.read_store.history import SqlHistoryView
from infra.read_store.portal import SqlPortalView
from infra.read_store.progress import SqlProgressView
from projections.district_progress import DistrictProgressProjection
from projections.portal_records import PortalRecordsProjection
from projections.record_history import RecordHistoryProjection

NAMES = ("progress", "portal", "history")


@dataclass
class EnvelopeReadModels:
    """District progress, portal records and record history, each in its view database."""

    progress: SqlProgressView
    portal: SqlPortalView
    history: SqlHistoryView

    @classmethod
    def open(
        cls, where: ReadStoreBackend | Path, *, names: Mapping[str, str] | None = None
    ) -> EnvelopeReadModels:
        """The three views on ``where`` (a directory means SQLite files in it); each is named
        as itself (``progress``, ``portal``, ``history``) unless ``names`` names it otherwise
        (e.g. ``{"portal": "portal__20261128t041200"}``)."""
        backend = where if isinstance(where, ReadStoreBackend) else ReadStoreBackend.sqlite(where)
        name = {**{n: n for n in NAMES}, **(names or {})}
        return cls(
            progress=SqlProgressView(backend.database(name["progress"])),
            portal=SqlPortalView(backend.database(name["portal"])),
            history=SqlHistoryView(backend.database(name["history"])),
        )

    def views(self) -> dict[str, Any]:
        return {"progress": self.progress, "portal": self.portal, "history": self.history}

    def projection_types(self) -> list[tuple[Any, type[Any]]]:
        """Each view with the projection that feeds it (built per stream by the Kafka runner)."""
        return [
            (self.progress, DistrictProgressProjection),
            (self.portal, PortalRecordsProjection),
            (self.history, RecordHistoryProjection),
        ]

    def projections(self) -> list[Any]:
        return [projection(view) for view, projection in self.projection_types()]

    def close(self) -> None:
        for view in self.views().values():
            view.close()
