"""The verifiable log of the configured event store, its signing key, and its keeper thread."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from bootstrap.container import Container
from bootstrap.settings import Settings
from infra.tlog.cosignature import CosignatureVerifier
from infra.tlog.log import SqlTransparencyLog
from infra.tlog.log_place import LogPlace
from infra.tlog.note import Ed25519NoteSigner, Ed25519NoteVerifier

SIGNER_FILE = "log-signer.key"  # C2SP signed-note signer key of the log (origin = key name)


def log_signer(settings: Settings) -> Ed25519NoteSigner:
    """The log's signing key, created on first use (mode 0600, beside the events' keys); a key
    made for another origin is refused, since every checkpoint names its origin."""
    path = settings.keys_dir / SIGNER_FILE
    if not path.exists():
        _create_signer(path, settings.log_origin)
    signer = Ed25519NoteSigner.from_signer_key(path.read_text("utf-8").strip())
    if signer.name != settings.log_origin:
        raise ValueError(
            f"HOTICH_LOG_ORIGIN: {settings.log_origin!r}, but the log's key ({path}) signs as "
            f"{signer.name!r}; a log keeps its origin for life"
        )
    return signer


def log_verifier(settings: Settings) -> Ed25519NoteVerifier | None:
    """The log's verifier key, from its signing key in the keys directory, if the log was
    ever kept there (`hotich project` checks runs of leaves with it; it makes no key)."""
    path = settings.keys_dir / SIGNER_FILE
    if not path.exists():
        return None
    signer = Ed25519NoteSigner.from_signer_key(path.read_text("utf-8").strip())
    return signer.verifier() if signer.name == settings.log_origin else None


def _create_signer(path: Path, origin: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519NoteSigner.generate(origin).signer_key()
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(key + "\n")


def witnesses(settings: Settings) -> list[CosignatureVerifier]:
    """The witnesses whose cosignatures the log keeps (HOTICH_LOG_WITNESSES: verifier keys)."""
    keys = [k.strip() for k in settings.log_witnesses.split(",") if k.strip()]
    return [CosignatureVerifier.from_verifier_key(k) for k in keys]


def build_log(container: Container) -> SqlTransparencyLog:
    settings = container.settings
    place = (
        LogPlace(postgres_url=settings.database_url)
        if settings.database_url
        else LogPlace(sqlite_path=settings.sqlite_path)
    )
    return SqlTransparencyLog(
        place, container.app, log_signer(settings), witnesses=witnesses(settings)
    )


class LogKeeper:
    """The keeper's thread: the tree brought up to the store, checkpoints signed."""

    def __init__(self, log: SqlTransparencyLog, interval: float) -> None:
        self.log = log
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.log.keep,
            args=(self._stop,),
            kwargs={"interval": self.interval},
            name="log-keeper",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
