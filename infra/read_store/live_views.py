"""Every read model by name, and the live copy of each, followed across rebuilds.

A read model is a view type, the projection that fills it, and what that projection reads:
domain events (the catalogue, fed in-process only) or checked envelopes (district progress,
portal records, record history: fed in-process or from Kafka). ``LiveViews`` opens each on the
configured read store as a ``SwitchingView`` (infra/read_store/slots.py), so `hotich serve` and
`hotich project` move to a copy `hotich projections rebuild` switched in, and gives the rebuild
how to open and drop copies of a view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from infra.read_store.backend import ReadStoreBackend
from infra.read_store.catalogue import SqlCatalogueView
from infra.read_store.database import ReadDatabase
from infra.read_store.history import SqlHistoryView
from infra.read_store.portal import SqlPortalView
from infra.read_store.progress import SqlProgressView
from infra.read_store.rebuild import ViewCopies
from infra.read_store.slots import SqlViewSlots, SwitchingView
from projections.catalogue import CatalogueProjection
from projections.district_progress import DistrictProgressProjection
from projections.portal_records import PortalRecordsProjection
from projections.record_history import RecordHistoryProjection


@dataclass(frozen=True)
class ReadModel:
    name: str
    view: Callable[[ReadDatabase], Any]
    projection: Callable[[Any], Any]
    from_envelopes: bool  # False: domain events from the notification log (in-process only)


READ_MODELS = {
    m.name: m
    for m in (
        ReadModel("catalogue", SqlCatalogueView, CatalogueProjection, from_envelopes=False),
        ReadModel("progress", SqlProgressView, DistrictProgressProjection, from_envelopes=True),
        ReadModel("portal", SqlPortalView, PortalRecordsProjection, from_envelopes=True),
        ReadModel("history", SqlHistoryView, RecordHistoryProjection, from_envelopes=True),
    )
}
ENVELOPE_MODELS = tuple(name for name, m in READ_MODELS.items() if m.from_envelopes)


def read_model(name: str) -> ReadModel:
    """The read model called ``name``, or ValueError naming the ones there are."""
    try:
        return READ_MODELS[name]
    except KeyError:
        raise ValueError(f"no read model {name!r}; there are: {', '.join(READ_MODELS)}") from None


class LiveViews:
    """The live copy of each read model on ``backend``, opened on first use."""

    def __init__(
        self, backend: ReadStoreBackend, slots: SqlViewSlots, *, check_every: float = 1.0
    ) -> None:
        self.backend = backend
        self.slots = slots
        self._every = check_every
        self._views: dict[str, SwitchingView] = {}

    def copies(self, name: str) -> ViewCopies:
        model = read_model(name)
        return ViewCopies(
            name=name,
            open_copy=lambda generation: model.view(self.backend.database(generation)),
            drop_copy=self.backend.drop,
            projection=model.projection,
        )

    def view(self, name: str) -> SwitchingView:
        if name not in self._views:
            copies = self.copies(name)
            self._views[name] = SwitchingView(
                name, self.slots, copies.open_copy, check_every=self._every
            )
        return self._views[name]

    def views(self, names: Iterable[str]) -> dict[str, SwitchingView]:
        return {name: self.view(name) for name in names}

    def projections(self, names: Iterable[str]) -> list[Any]:
        """One projection per named read model, each over its live view."""
        return [read_model(name).projection(self.view(name)) for name in names]

    def projection_types(self, names: Iterable[str]) -> list[tuple[SwitchingView, Any]]:
        """Each live view with its projection's type (built per stream by the Kafka runner)."""
        return [(self.view(name), read_model(name).projection) for name in names]

    def close(self) -> None:
        for view in self._views.values():
            view.close()
        self._views.clear()
