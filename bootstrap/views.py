"""The read models' stores, as the settings place them."""

from __future__ import annotations

from bootstrap.settings import Settings
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.live_views import LiveViews
from infra.read_store.slots import SqlViewSlots
from infra.service_db.database import SqlDatabase


def read_store_backend(settings: Settings) -> ReadStoreBackend:
    """PostgreSQL when the settings name a read database (or the event store's), else SQLite
    files in the data directory."""
    url = settings.read_store_url
    if url:
        return ReadStoreBackend.postgres(url, timeout=settings.database_timeout)
    return ReadStoreBackend.sqlite(settings.home)


def live_views(settings: Settings, service_db: SqlDatabase) -> LiveViews:
    """Every read model's live copy (each follows the copy a rebuild switches in)."""
    return LiveViews(read_store_backend(settings), SqlViewSlots(service_db))
