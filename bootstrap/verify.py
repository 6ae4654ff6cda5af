"""`hotich verify`: every event of the configured store checked, streaming."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bootstrap.container import bootstrap
from bootstrap.log import build_log
from bootstrap.settings import Settings
from infra.signing.keyring import Keyring, PublicKeySet
from infra.store.scan import scan_postgres, scan_sqlite
from infra.store.verify import VerifyReport, verify_store
from infra.tlog.audit import LogAudit


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


def verify_log(settings: Settings, *, against: Sequence[Path], log_key: str | None) -> LogAudit:
    """The verifiable log checked against the events: the tree, every stored checkpoint, and
    the checkpoints kept elsewhere (files holding a signed checkpoint note)."""
    container = bootstrap(settings, sign=False)
    log = build_log(container)
    try:
        notes = [path.read_text("utf-8") for path in against]
        return log.audit(notes, verifier_key=log_key)
    finally:
        log.close()
        container.close()
