"""The composition root: builds the whole object graph from settings; nothing at import time."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from eventsourcing.cryptography import AESCipher

from bootstrap.settings import Settings
from bootstrap.signing import install_signing
from digitization.application import Digitisation, ScanLimits
from digitization.ports import BlobStore
from domain.admin_units import AdminUnits
from infra.blobs.local import LocalDirBlobStore
from infra.service_db.database import SqlDatabase
from infra.service_db.idempotency import SqlIdempotencyStore
from infra.service_db.users import SqlUserStore
from infra.signing.keyring import Keyring
from infra.store.sealing import SignedSealing


@dataclass
class Container:
    """Everything an entry point (CLI, API, bench) needs, built once."""

    settings: Settings
    units: AdminUnits
    keyring: Keyring
    app: Digitisation
    users: SqlUserStore
    idempotency: SqlIdempotencyStore
    db: SqlDatabase

    def close(self) -> None:
        self.app.close()
        self.db.close()


def load_admin_units(path: Path) -> AdminUnits:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return AdminUnits.from_csv_lines(f)


def init_home(settings: Settings, *, encrypt: bool = True) -> list[str]:
    """Create the data directory, the first signing key and (optionally) a cipher key."""
    done: list[str] = []
    if not settings.home.exists():
        settings.home.mkdir(parents=True)
        os.chmod(settings.home, 0o700)  # events, keys and cipher key: for the service's user only
    if not (settings.keys_dir / "keys.json").exists():
        Keyring.open(settings.keys_dir)
        done.append(f"created signing key in {settings.keys_dir}")
    if encrypt and not settings.cipher_key and not settings.cipher_key_file.exists():
        key = AESCipher.create_key(32)
        fd = os.open(settings.cipher_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        done.append(
            f"created AES-256 cipher key {settings.cipher_key_file} "
            "(back it up: without it the store cannot be read)"
        )
    return done


def check_cipher_key(key: str) -> None:
    try:
        AESCipher.check_key_size(len(base64.b64decode(key, validate=True)))
    except ValueError as e:
        raise ValueError(f"HOTICH_CIPHER_KEY: must be base64 of 16, 24 or 32 bytes ({e})") from e


def bootstrap(settings: Settings, *, sign: bool = True) -> Container:
    """Build the application on the configured store; ``sign=False`` opens it read-only."""
    settings.home.mkdir(parents=True, exist_ok=True)
    keyring = Keyring.open(settings.keys_dir)
    key = settings.resolved_cipher_key()
    if key:
        check_cipher_key(key)
    units = load_admin_units(settings.admin_units_csv)
    sealing = SignedSealing(keyring.signer() if sign else None)
    app = Digitisation(
        settings.eventsourcing_env(),
        units=units,
        sealing=sealing,
        blobs=build_blob_store(settings),
        scan_limits=ScanLimits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_pixels),
    )
    install_signing(app)  # extracts and officials' signatures (HOTICH_SIGNING_*)
    db = service_database(settings)
    return Container(
        settings=settings,
        units=units,
        keyring=keyring,
        app=app,
        users=SqlUserStore(db),
        idempotency=SqlIdempotencyStore(db),
        db=db,
    )


def service_database(settings: Settings) -> SqlDatabase:
    """The service tables (users, idempotency, positions, view slots): beside the events."""
    if settings.database_url:
        return SqlDatabase(postgres_url=settings.database_url, timeout=settings.database_timeout)
    return SqlDatabase(sqlite_path=settings.service_db_path)


def build_blob_store(settings: Settings) -> BlobStore:
    """MinIO/S3 when an endpoint is configured, else a local directory in the data directory."""
    if settings.s3_endpoint:
        # imported here: the S3 client is ~20 MB of every process, which a rebuild's do not need
        from infra.blobs.minio import MinioBlobStore

        if not settings.s3_access_key or not settings.s3_secret_key:
            raise ValueError(
                "HOTICH_S3_ACCESS_KEY and HOTICH_S3_SECRET_KEY: required with an endpoint"
            )
        store = MinioBlobStore(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key,
            settings.s3_bucket,
            region=settings.s3_region,
            secure=settings.s3_secure,
            retention_mode=settings.retention_mode,
            retention_days=settings.retention_days,
        )
        store.ensure_bucket()
        return store
    return LocalDirBlobStore(
        settings.scans_dir,
        retention_days=settings.retention_days,
        link_secret=read_or_create_secret(settings.home / "link.key"),
    )


def read_or_create_secret(path: Path) -> bytes:
    """A random 32-byte secret kept in a 0600 file (signs short-lived scan links)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
    return path.read_bytes()
