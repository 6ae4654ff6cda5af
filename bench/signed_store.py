"""hotich's signed, encrypted event store as the benchmarks open it: the eventsourcing settings
of a SQLite or PostgreSQL store, appends, and a SQLite store built with N events of the
workload (bench/workload.py) for verify, the pipeline and the rebuild, with its verifiable log
brought up to it and a checkpoint signed (as `hotich serve`'s keeper leaves a store). The
store's directory is laid out as a data directory (HOTICH_HOME): events.sqlite, cipher.key,
keys/ (with the log's key)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from eventsourcing.cryptography import AESCipher

from bench.figures import Stopwatch, per_second
from bench.workload import workload
from bootstrap.container import load_admin_units
from bootstrap.log import log_signer
from bootstrap.settings import DEFAULT_ADMIN_UNITS, Settings
from digitization.application import Digitisation
from infra.signing.keyring import Keyring, PublicKeySet
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.sealing import SignedSealing
from infra.tlog.log import SqlTransparencyLog
from infra.tlog.log_place import LogPlace


def env_for(backend: str, home: Path, cipher_key: str, pg_url: str | None) -> dict[str, str]:
    env = {"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher", "CIPHER_KEY": cipher_key}
    if backend == "sqlite":
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite", SQLITE_DBNAME=str(home / "events.sqlite")
        )
    else:
        assert pg_url
        u = urlsplit(pg_url)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=u.path.strip("/"),
            POSTGRES_HOST=u.hostname or "",
            POSTGRES_PORT=str(u.port),
            POSTGRES_USER=u.username or "",
            POSTGRES_PASSWORD=u.password or "",
            POSTGRES_ENABLE_DB_FUNCTIONS="n",
        )
    return env


def append(app: Digitisation, events: list[Any], batch: int) -> float:
    """Seconds to save ``events``, ``batch`` in each save."""
    with Stopwatch() as clock:
        for i in range(0, len(events), batch):
            app.save(*events[i : i + batch])
    return clock.seconds


def open_store(home: Path) -> tuple[Digitisation, SignedEnvelopeMapper, PublicKeySet]:
    """The signed SQLite store in ``home`` (cipher.key and keys/ as empty_store leaves them)."""
    key = (home / "cipher.key").read_text().strip()
    keyring = Keyring.open(home / "keys")
    app = Digitisation(
        env_for("sqlite", home, key, None),
        units=load_admin_units(DEFAULT_ADMIN_UNITS),
        sealing=SignedSealing(keyring.signer()),
    )
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    return app, app.mapper, Keyring(home / "keys").public_keys()


def empty_store(home: Path) -> tuple[Digitisation, SignedEnvelopeMapper, PublicKeySet]:
    """A new signed SQLite store in ``home``, with its own cipher key and signing key."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "cipher.key").write_text(AESCipher.create_key(32))
    return open_store(home)


def home_settings(home: Path, **settings: Any) -> Settings:
    """The settings of hotich on the store in ``home`` (its data directory)."""
    return Settings(
        **{"home": home, "demo": False, "database_url": None, "cipher_key": None, **settings}
    )


def transparency_log(home: Path, app: Digitisation) -> SqlTransparencyLog:
    """The verifiable log of the SQLite store in ``home``, with the key hotich would use."""
    place = LogPlace(sqlite_path=home / "events.sqlite")
    return SqlTransparencyLog(place, app, log_signer(home_settings(home)))


def sign_log(home: Path, app: Digitisation) -> int:
    """Bring the store's log up to its events and sign a checkpoint; the tree's size."""
    log = transparency_log(home, app)
    try:
        log.catch_up()
        log.sign_checkpoint()
        return log.size()
    finally:
        log.close()


def build_signed_sqlite(home: Path, events: int) -> None:
    """A signed, encrypted SQLite store in ``home`` with about ``events`` events, its log
    brought up to them and signed."""
    app, _, _ = empty_store(home)
    done = 0
    with Stopwatch() as clock:
        for chunk in workload(events, seed=1):
            append(app, chunk, 1000)
            done += len(chunk)
            if done % 100_000 == 0:
                rate = per_second(done, clock.elapsed)
                print(f"  built {done:,} events ({rate:,.0f} ev/s)", flush=True)
    sign_log(home, app)
    app.close()
