"""Append benchmark: hotich's signed store against a bare eventsourcing Application.

The same domain events (entries keyed, second-keyed, verified, published; fields drawn by the
demo's generator) are appended through both, as single saves and as batches of 100, on SQLite
and on PostgreSQL, with the same AES-GCM cipher configured for both. It prints events/s and the
ratio signed/bare, then the events/s and peak memory of `hotich verify` on a large signed store.
Timings are printed, never asserted.

    python -m bench.append [--events 20000] [--verify-events 1000000]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.cryptography import AESCipher

from bench.figures import Stopwatch, alternate, medians, ratio
from bench.signed_store import append, build_signed_sqlite, env_for
from bench.workload import workload
from bench.workspace import HOTICH, required_env, workdir
from bootstrap.container import load_admin_units
from bootstrap.settings import DEFAULT_ADMIN_UNITS
from digitization.application import Digitisation
from infra.signing.keyring import Keyring
from infra.store.scan import scan_sqlite
from infra.store.sealing import SignedSealing
from infra.store.verify import verify_store


class Bare(Digitisation):
    """The same application with eventsourcing's own mapper and event store (no signing)."""

    name = "Bare"


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

        def run(kind: str, batch: int = batch) -> float:
            return measure(kind, backend, events, batch, root, pg_url, cipher_key, signer)

        median = medians(alternate(("bare", "signed"), repeats, run))
        bare, signed = median["bare"], median["signed"]
        label = "single saves" if batch == 1 else f"batches of {batch}"
        print(
            f"{backend:8} {label:15} bare {bare:9,.0f} ev/s   signed {signed:9,.0f} ev/s   "
            f"{ratio('signed/bare', signed, bare)}   (median of {repeats}, alternating)",
            flush=True,
        )


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
    with Stopwatch() as clock:
        out = subprocess.run(
            [*HOTICH, "verify", "--no-progress", "--jobs", str(jobs)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lines = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    print(f"  hotich verify --jobs {jobs}: exit {out.returncode}, {clock.seconds:.1f} s wall")
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
    backends = args.backends.split(",")
    pg_url = None
    if "postgres" in backends:
        hint = "run `make bench`, which starts PostgreSQL, or --backends sqlite"
        [pg_url] = required_env("HOTICH_BENCH_DATABASE_URL", hint=hint)

    events = [e for chunk in workload(args.events) for e in chunk]
    print(
        f"append: {len(events):,} entry events (key, second-key, verify, publish), "
        "AES-GCM at rest on both"
    )
    with workdir("append-") as work:
        for backend in backends:
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
