"""Settings: environment variables HOTICH_*, each with a local default, validated once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal, overload
from urllib.parse import unquote, urlsplit

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.store.recorders import POSTGRES_RECORDER, SQLITE_RECORDER

DEFAULT_ADMIN_UNITS = Path(__file__).parent / "data" / "ha-giang-admin-units.csv"
DEFAULT_UNITS_2025 = Path(__file__).parent / "data" / "ha-giang-units-2025.csv"
DEFAULT_DELIVERY_COLUMNS = Path(__file__).parent / "data" / "delivery-columns.json"
CIPHER_KEY_FILE = "cipher.key"


class InHome:
    """A path in the data directory (``home``), read off the settings as a property is."""

    def __init__(self, name: str, doc: str | None = None) -> None:
        self.name = name
        self.__doc__ = doc

    @overload
    def __get__(self, settings: None, owner: type[Any]) -> InHome: ...
    @overload
    def __get__(self, settings: Settings, owner: type[Any]) -> Path: ...
    def __get__(self, settings: Settings | None, owner: type[Any]) -> InHome | Path:
        return self if settings is None else settings.home / self.name


class Settings(BaseSettings):
    """Every setting has a default that works on one machine with nothing installed."""

    model_config = SettingsConfigDict(env_prefix="HOTICH_", extra="ignore", ignored_types=(InHome,))

    home: Path = Field(Path("var"), description="data directory: event store, keys, cipher key")
    database_url: str | None = Field(
        None, description="postgresql://user:password@host:port/dbname; unset: SQLite in home"
    )
    read_database_url: str | None = Field(
        None,
        description="postgresql://… for the views (one schema each); unset: the event store's "
        "database_url, else SQLite files in home",
    )
    cipher_key: str | None = Field(
        None,
        description="base64 AES key for encryption at rest; unset: <home>/cipher.key if present",
    )
    admin_units_csv: Path = Field(DEFAULT_ADMIN_UNITS, description="GSO administrative units CSV")
    units_2025_csv: Path | None = Field(
        None,
        description="the 2025 commune of each commune of admin_units_csv (dated CSV); unset: "
        "the shipped Hà Giang file with the shipped units, else none",
    )
    delivery_columns: Path = Field(
        DEFAULT_DELIVERY_COLUMNS, description="the delivered workbook's columns per kind (JSON)"
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="HTTP worker processes of `hotich serve` (the API is stateless; one process "
        "feeds the in-process views)",
    )
    threads: int = Field(
        4,
        ge=1,
        le=256,
        description="threads per HTTP process for the handlers' blocking work (database reads "
        "and writes); more threads than cores contend for Python's lock",
    )
    demo: bool = Field(True, description="load the demo into an empty store when serving")
    idempotency_lease: int = Field(
        60,
        ge=1,
        le=3600,
        description="seconds an Idempotency-Key's claim holds; a claim whose request died is "
        "taken over after it",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # scanned pages: a local directory by default, an S3/MinIO bucket when an endpoint is set
    s3_endpoint: str | None = Field(None, description="host:port of MinIO/S3; unset: <home>/scans")
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "hotich-scans"
    s3_region: str = "us-east-1"
    s3_secure: bool = Field(
        True, description="HTTPS to the S3 endpoint (false only for a loopback test server)"
    )
    retention_mode: Literal["GOVERNANCE", "COMPLIANCE"] = Field(
        "COMPLIANCE",
        description="S3 Object Lock mode of new scans (GOVERNANCE: privileged users may "
        "bypass it); the local directory store enforces the period itself",
    )
    retention_days: int = Field(
        3650, ge=0, le=36500, description="how long each new scan is retained; 0: none"
    )
    kafka_bootstrap: str | None = Field(
        None, description="host:port of Kafka; set: the log is relayed to hotich.events.v1"
    )
    kafka_topic: str = "hotich.events.v1"
    kafka_group: str = Field(
        "hotich-projections",
        min_length=1,
        description="the consumer group of `hotich project` (GET /positions reports its lag)",
    )
    log_origin: str = Field(
        "hotich.example/ha-giang",
        pattern=r"^[^\s+]+$",
        description="the verifiable log's name: the first line of its checkpoints, its key's name",
    )
    log_interval: float = Field(
        1.0, gt=0, le=3600, description="seconds between checkpoints (when new events came)"
    )
    log_witnesses: str = Field(
        "",
        description="verifier keys (comma-separated) of the witnesses whose cosignatures "
        "the log keeps",
    )
    database_timeout: int = Field(
        3,
        ge=1,
        le=300,
        description="seconds a request waits for a PostgreSQL connection (the server down: "
        "503 after this long)",
    )
    max_upload_bytes: int = Field(1 << 30, ge=1, description="per file; larger: 413")
    max_pixels: int = Field(250_000_000, ge=1, description="per page image; larger: 413")

    @field_validator("database_url", "read_database_url")
    @classmethod
    def _check_database_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value in (None, ""):
            return None
        parts = urlsplit(value)
        if (
            parts.scheme not in ("postgresql", "postgres")
            or not parts.hostname
            or not parts.path.strip("/")
        ):
            variable = f"HOTICH_{(info.field_name or '').upper()}"
            msg = f"{variable} must look like postgresql://user:password@host:5432/dbname"
            raise ValueError(msg)
        return value

    @property
    def read_store_url(self) -> str | None:
        """The PostgreSQL database of the views (None: SQLite files in home)."""
        return self.read_database_url or self.database_url

    @property
    def resolved_units_2025(self) -> Path | None:
        """The 2025 units file: the one set, else the shipped one with the shipped units."""
        if self.units_2025_csv is not None:
            return self.units_2025_csv
        return DEFAULT_UNITS_2025 if self.admin_units_csv == DEFAULT_ADMIN_UNITS else None

    # the data directory's files and folders
    scratch_dir: ClassVar[InHome] = InHome(
        "tmp", "Where uploads are received (a ``hotich-upload-*`` folder per request)."
    )
    scans_dir: ClassVar[InHome] = InHome("blobs")
    service_db_path: ClassVar[InHome] = InHome("service.sqlite")
    keys_dir: ClassVar[InHome] = InHome("keys")
    sqlite_path: ClassVar[InHome] = InHome("events.sqlite")
    cipher_key_file: ClassVar[InHome] = InHome(CIPHER_KEY_FILE)

    def resolved_cipher_key(self) -> str | None:
        if self.cipher_key:
            return self.cipher_key
        if self.cipher_key_file.exists():
            return self.cipher_key_file.read_text("ascii").strip()
        return None

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing configuration these settings mean."""
        env: dict[str, str] = {}
        if self.database_url:
            parts = urlsplit(self.database_url)
            env.update(
                PERSISTENCE_MODULE="eventsourcing.postgres",
                POSTGRES_DBNAME=parts.path.strip("/"),
                POSTGRES_HOST=parts.hostname or "127.0.0.1",
                POSTGRES_PORT=str(parts.port or 5432),
                POSTGRES_USER=unquote(parts.username or ""),
                POSTGRES_PASSWORD=unquote(parts.password or ""),
                POSTGRES_ENABLE_DB_FUNCTIONS="n",
                # the server down: 503 after this long (eventsourcing waits 30 s); a pooled
                # connection is checked before use (one the server closed when it restarted
                # is replaced, not used)
                POSTGRES_CONNECT_TIMEOUT=str(self.database_timeout),
                POSTGRES_PRE_PING="y",
                APPLICATION_RECORDER_TOPIC=POSTGRES_RECORDER,
            )
        else:
            env.update(
                PERSISTENCE_MODULE="eventsourcing.sqlite",
                SQLITE_DBNAME=str(self.sqlite_path),
                APPLICATION_RECORDER_TOPIC=SQLITE_RECORDER,
            )
        # Keep recently used aggregates in memory: a book with 2,000 scanned pages is not
        # replayed on every upload. Fast-forward (eventsourcing's default) reads any newer
        # events first, so several servers sharing one PostgreSQL store stay correct.
        env.update(AGGREGATE_CACHE_MAXSIZE="5000", AGGREGATE_CACHE_FASTFORWARD="y")
        key = self.resolved_cipher_key()
        if key:
            env.update(CIPHER_TOPIC="eventsourcing.cryptography:AESCipher", CIPHER_KEY=key)
        return env


@lru_cache
def get_settings() -> Settings:
    return Settings()
