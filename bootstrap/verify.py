"""`hotich verify`: every event of the configured store checked, streaming."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bootstrap.settings import Settings
from infra.signing.keyring import Keyring, PublicKeySet
from infra.store.scan import scan_postgres, scan_sqlite
from infra.store.verify import VerifyReport, verify_store


def verify(
    settings: Settings,
    *,
    keys_file: Path | None,
    jobs: int,
    on_progress: Callable[[int], None],
) -> VerifyReport:
    """Check the store against the data directory's public keys (or an exported key set);
    KeyringError for unusable keys, FileNotFoundError for a missing store."""
    keys = PublicKeySet.load(keys_file) if keys_file else Keyring(settings.keys_dir).public_keys()
    batches = (
        scan_postgres(settings.database_url)
        if settings.database_url
        else scan_sqlite(settings.sqlite_path)
    )
    return verify_store(
        batches,
        cipher_key=settings.resolved_cipher_key(),
        keys=keys,
        jobs=jobs,
        on_progress=on_progress,
    )
