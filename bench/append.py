"""Append benchmark: hotich's signed store against a bare eventsourcing Application.

The same domain events (entries keyed, second-keyed, verified, published) are appended through
both, as single saves and as batches of 100, on SQLite and on PostgreSQL, with the same AES-GCM
cipher configured for both. It prints events/s and the ratio signed/bare, then the events/s and
peak memory of `hotich verify` on a large signed store. Timings are printed, never asserted.

    python -m bench.append [--events 20000] [--verify-events 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import psycopg
from eventsourcing.cryptography import AESCipher

from bootstrap.container import load_admin_units
from bootstrap.settings import DEFAULT_ADMIN_UNITS
from digitization.application import Digitisation
from domain.actor import Actor, Role
from domain.civil_record import CivilRecord
from domain.record_kind import RecordKind
from infra.signing.keyring import Keyring
from infra.store.scan import scan_sqlite
from infra.store.sealing import SignedSealing
from infra.store.verify import verify_store

CLERK, CLERK2, VERIFIER = (
    Actor("clerk.026.1", Role.CLERK),
    Actor("clerk.026.2", Role.CLERK),
    Actor("verifier.026", Role.VERIFIER),
)
FAMILIES = ("Giàng", "Sùng", "Vàng", "Thào", "Nông", "Hoàng", "Triệu", "Bàn", "Nguyễn", "Lò")
GIVEN = ("Pó", "Chúa", "Dình", "Mỷ", "Thài", "Phìn", "Hoà", "Thủy", "Lan", "Dũng")


class Bare(Digitisation):
    """The same application with eventsourcing's own mapper and event store (no signing)."""

    name = "Bare"


def workload(events: int, seed: int = 0) -> Iterator[list[Any]]:
    """Lists of domain events, 4 per entry, in chunks of up to 10,000 events."""
    register_id = uuid5(NAMESPACE_URL, f"urn:bench:{seed}")
    chunk: list[Any] = []
    for n in range(events // 4):
        name = f"{FAMILIES[n % 10]} {'Seo' if n % 2 else 'Thị'} {GIVEN[(n // 10) % 10]}"
        fields = {
            "child.full_name": name,
            "child.sex": "male" if n % 2 else "female",
            "child.birth_date": f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1960 + n % 60}",
            "registration_date": f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1961 + n % 60}",
            "mother.full_name": f"{FAMILIES[(n + 3) % 10]} Thị {GIVEN[n % 10]}",
            "child.birth_place": "Thôn Nà Lầu, Xã Phương Độ",
        }
        entry = CivilRecord.key(
            actor=CLERK,
            register_id=register_id,
            district="026",
            commune_code="00718",
            kind=RecordKind.BIRTH,
            entry_number=n + 1,
            pages=[n // 2 + 1],
            fields=fields,
        )
        entry.second_key(actor=CLERK2, fields=fields)
        entry.verify(actor=VERIFIER)
        entry.publish(actor=VERIFIER)
        chunk.extend(entry.collect_events())
        if len(chunk) >= 10_000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def append(app: Digitisation, events: list[Any], batch: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(events), batch):
        app.save(*events[i : i + batch])
    return time.perf_counter() - started


def env_for(backend: str, home: Path, cipher_key: str, pg_url: str | None) -> dict[str, str]:
    env = {"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher", "CIPHER_KEY": cipher_key}
    if backend == "sqlite":
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite", SQLITE_DBNAME=str(home / "events.sqlite")
        )
    else:
        assert pg_url
        from urllib.parse import urlsplit

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


def drop_tables(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for table in ("digitisation_events", "bare_events"):
            conn.execute(
                psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg.sql.Identifier(table))
            )


def measure(
    kind: str,
    backend: str,
    events: list[Any],
    batch: int,
    root: Path,
    pg_url: str | None,
    cipher_key: str,
    signer: Any,
) -> float:
    """Events/s of one append run into a fresh store."""
    units = load_admin_units(DEFAULT_ADMIN_UNITS)
    home = Path(tempfile.mkdtemp(dir=root))
    if pg_url and backend == "postgres":
        drop_tables(pg_url)
    env = env_for(backend, home, cipher_key, pg_url)
    app: Digitisation = (
        Bare(env, units=units)
        if kind == "bare"
        else Digitisation(env, units=units, sealing=SignedSealing(signer))
    )
    seconds = append(app, events, batch)
    app.close()
    return len(events) / seconds


def run_backend(
    backend: str, events: list[Any], root: Path, pg_url: str | None, repeats: int
) -> None:
    """Bare and signed runs alternate, ``repeats`` times each; the medians are compared."""
    cipher_key = AESCipher.create_key(32)
    signer = Keyring.open(root / "keys").signer()
    for batch in (1, 100):
        runs: dict[str, list[float]] = {"bare": [], "signed": []}
        for _ in range(repeats):
            for kind in ("bare", "signed"):
                runs[kind].append(
                    measure(kind, backend, events, batch, root, pg_url, cipher_key, signer)
                )
        bare, signed = statistics.median(runs["bare"]), statistics.median(runs["signed"])
        label = "single saves" if batch == 1 else f"batches of {batch}"
        print(
            f"{backend:8} {label:15} bare {bare:9,.0f} ev/s   signed {signed:9,.0f} ev/s   "
            f"ratio signed/bare {signed / bare:4.2f}   (median of {repeats}, alternating)",
            flush=True,
        )


def build_signed_sqlite(home: Path, events: int) -> None:
    """A signed, encrypted SQLite store in ``home`` with about ``events`` events, for verify."""
    units = load_admin_units(DEFAULT_ADMIN_UNITS)
    home.mkdir(parents=True, exist_ok=True)
    key = AESCipher.create_key(32)
    (home / "cipher.key").write_text(key)
    signer = Keyring.open(home / "keys").signer()
    env = env_for("sqlite", home, key, None)
    app = Digitisation(env, units=units, sealing=SignedSealing(signer))
    done = 0
    started = time.perf_counter()
    for chunk in workload(events, seed=1):
        append(app, chunk, 1000)
        done += len(chunk)
        if done % 100_000 == 0:
            print(
                f"  built {done:,} events ({done / (time.perf_counter() - started):,.0f} ev/s)",
                flush=True,
            )
    app.close()


def verify_in_process(home: Path, jobs: int) -> tuple[int, float]:
    key = (home / "cipher.key").read_text().strip()
    report = verify_store(
        scan_sqlite(home / "events.sqlite"),
        cipher_key=key,
        keys=Keyring(home / "keys").public_keys(),
        jobs=jobs,
    )
    assert report.ok, report.problems[:3]
    return report.events, report.events_per_second


def verify_cli(home: Path, jobs: int) -> None:
    """Run `hotich verify` as users do, in a child process, and report its peak memory."""
    env = {**os.environ, "HOTICH_HOME": str(home)}
    env.pop("HOTICH_DATABASE_URL", None)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "verify", "--no-progress", "--jobs", str(jobs)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lines = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    print(f"  hotich verify --jobs {jobs}: exit {out.returncode}, {seconds:.1f} s wall")
    for line in lines:
        print(f"    {line}")
    print(f"    largest process of the run (verify or a worker): {children:,.0f} MB max RSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--verify-events", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pg_url = os.environ.get("HOTICH_BENCH_DATABASE_URL")
    root = Path(os.environ.get("HOTICH_BENCH_DIR", ".bench"))
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root))

    events = [e for chunk in workload(args.events) for e in chunk]
    print(
        f"append: {len(events):,} entry events (key, second-key, verify, publish), "
        "AES-GCM at rest on both"
    )
    for backend in args.backends.split(","):
        if backend == "postgres" and not pg_url:
            sys.exit(
                "HOTICH_BENCH_DATABASE_URL is not set: run `make bench`, which starts PostgreSQL"
            )
        run_backend(backend, events, work, pg_url, args.repeats)

    print(f"verify: signed SQLite store of {args.verify_events:,} events")
    home = work / "verify-store"
    build_signed_sqlite(home, args.verify_events)
    for jobs in (1, 2):
        n, rate = verify_in_process(home, jobs)
        print(f"  verify_store jobs={jobs}: {n:,} events, {rate:,.0f} ev/s")
    verify_cli(home, 2)


if __name__ == "__main__":
    main()
