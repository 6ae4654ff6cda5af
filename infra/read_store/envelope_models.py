"""The read models built from signed envelopes, opened in one place for every runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.read_store.sqlite_portal import SqliteHistoryView, SqlitePortalView
from infra.read_store.sqlite_progress import SqliteProgressView
from projections.district_progress import DistrictProgressProjection
from projections.portal_records import PortalRecordsProjection
from projections.record_history import RecordHistoryProjection


@dataclass
class EnvelopeReadModels:
    """District progress, portal records and record history, each a SQLite file in a folder."""

    progress: SqliteProgressView
    portal: SqlitePortalView
    history: SqliteHistoryView

    @classmethod
    def open(cls, directory: Path) -> EnvelopeReadModels:
        directory.mkdir(parents=True, exist_ok=True)
        return cls(
            progress=SqliteProgressView(directory / "progress.sqlite"),
            portal=SqlitePortalView(directory / "portal.sqlite"),
            history=SqliteHistoryView(directory / "history.sqlite"),
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
