"""The pipeline benchmark's rebuild: `hotich projections rebuild progress portal history` of a
whole store, run as users run it (its figures as it prints them), on SQLite files and,
with HOTICH_BENCH_DATABASE_URL, with the store and the views on PostgreSQL: a database of its
own on that server, holding a copy of the SQLite store's events (the same encrypted bytes, in
the same order) and its verifiable log, dropped afterwards."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from bench.figures import Stopwatch, per_second
from bench.signed_store import env_for, home_settings
from bench.workspace import HOTICH
from bootstrap.container import load_admin_units
from bootstrap.log import log_signer
from bootstrap.settings import DEFAULT_ADMIN_UNITS
from digitization.application import Digitisation
from infra.signing.keyring import Keyring
from infra.store.scan import POSTGRES_EVENTS_TABLE, SQLITE_EVENTS_TABLE
from infra.store.sealing import SignedSealing
from infra.tlog.log import SqlTransparencyLog
from infra.tlog.log_place import LogPlace

VIEWS = ["progress", "portal", "history"]
TARGET_EVENTS = 1_000_000
TARGET_SECONDS = {"sqlite": 60, "postgres": 120}
TARGET_MB = 300


def rebuild(home: Path, work: Path, backend: str) -> dict[str, Any] | None:
    """The figures of a rebuild of the store in ``home`` on ``backend`` (None: PostgreSQL
    without HOTICH_BENCH_DATABASE_URL)."""
    if backend == "sqlite":
        return {"backend": backend, **_run_child(home, backend, "-")}
    server = os.environ.get("HOTICH_BENCH_DATABASE_URL")
    if not server:
        return None
    url, name = _database_url(server, f"hotich_rebuild_{uuid.uuid4().hex[:8]}")
    _admin(server, f'CREATE DATABASE "{name}"')
    try:
        pg_home = work / "rebuild-postgres"
        pg_home.mkdir(parents=True, exist_ok=True)
        shutil.copytree(home / "keys", pg_home / "keys", dirs_exist_ok=True)
        shutil.copy(home / "cipher.key", pg_home / "cipher.key")
        with Stopwatch() as clock:
            copied = _copy_to_postgres(home, pg_home, url)
        print(
            f"  (PostgreSQL store: {copied:,} events and its log copied in {clock.seconds:.0f} s)"
        )
        return {"backend": backend, **_run_child(pg_home, backend, url)}
    finally:
        _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rebuild_line(r: dict[str, Any] | None) -> str:
    if r is None:
        return "rebuild on PostgreSQL: skipped (HOTICH_BENCH_DATABASE_URL not set)"
    rate = per_second(r["events"], r["seconds"])
    seconds_for_target = TARGET_EVENTS / rate if rate else float("inf")
    met = seconds_for_target <= TARGET_SECONDS[r["backend"]] and r["peak_mb"] < TARGET_MB
    scale = (
        f" (measured on {r['events']:,} events: run with --events 1000000 for the target figure)"
        if r["events"] < TARGET_EVENTS
        else ""
    )
    return (
        f"rebuild from the log on {r['backend']} (`hotich projections rebuild progress portal "
        f"history`): {r['events']:,} events in {r['seconds']:.1f} s, "
        f"{rate:,.0f} ev/s, peak memory {r['peak_mb']:,.0f} MB (all processes), quarantined "
        f"{r['quarantined']}; target {TARGET_EVENTS:,} events in ≤ "
        f"{TARGET_SECONDS[r['backend']]} s and < {TARGET_MB} MB: {'met' if met else 'NOT met'}"
        f"{scale}"
    )


_SUMMARY = re.compile(
    r"([\d,]+) events in ([\d.]+) s \(([\d,]+) ev/s\); peak memory ([\d,]+) MB \(all processes\)"
)
_QUARANTINED = re.compile(r"^\w+: [\d,]+ events .*, (\d+) quarantined$", re.MULTILINE)


def _run_child(home: Path, backend: str, url: str) -> dict[str, Any]:
    """`hotich projections rebuild progress portal history` as users run it, on the store in
    ``home``; its figures as it prints them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTICH_")}
    env.update(HOTICH_HOME=str(home), HOTICH_DEMO="false")
    if backend == "postgres":
        env.update(HOTICH_DATABASE_URL=url)
    out = subprocess.run(
        [*HOTICH, "projections", "rebuild", *VIEWS],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = _SUMMARY.search(out.stdout)
    if out.returncode != 0 or found is None:
        sys.exit(f"rebuild failed ({out.returncode}):\n{out.stdout[-2000:]}{out.stderr[-3000:]}")
    events, seconds, _, peak = found.groups()
    return {
        "events": int(events.replace(",", "")),
        "seconds": float(seconds),
        "peak_mb": float(peak.replace(",", "")),
        "quarantined": max((int(q) for q in _QUARANTINED.findall(out.stdout)), default=0),
    }


def _database_url(server: str, name: str) -> tuple[str, str]:
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _admin(server: str, statement: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(statement.encode())


def _copy_to_postgres(home: Path, pg_home: Path, url: str) -> int:
    """The SQLite store's events copied to a PostgreSQL store as they are stored (encrypted,
    in notification order), and its log brought up to them and signed with the same key."""
    key = (home / "cipher.key").read_text().strip()
    app = Digitisation(
        env_for("postgres", pg_home, key, url),
        units=load_admin_units(DEFAULT_ADMIN_UNITS),
        sealing=SignedSealing(Keyring.open(pg_home / "keys").signer()),
    )
    copied = 0
    with (
        closing(sqlite3.connect(f"file:{home / 'events.sqlite'}?mode=ro", uri=True)) as source,
        psycopg.connect(url) as target,
        target.cursor() as cursor,
        cursor.copy(
            f"COPY {POSTGRES_EVENTS_TABLE} (originator_id, originator_version, topic, state) "
            "FROM STDIN"
        ) as copy,
    ):
        rows = source.execute(
            "SELECT originator_id, originator_version, topic, state "  # noqa: S608
            f"FROM {SQLITE_EVENTS_TABLE} ORDER BY rowid"
        )
        for originator_id, version, topic, state in rows:
            copy.write_row((uuid.UUID(originator_id), version, topic, state))
            copied += 1
    settings = home_settings(pg_home, database_url=url)
    log = SqlTransparencyLog(LogPlace(postgres_url=url), app, log_signer(settings))
    try:
        log.catch_up()
        log.sign_checkpoint()
    finally:
        log.close()
        app.close()
    return copied
