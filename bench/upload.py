"""Upload benchmark: scanned pages through hotich's HTTP API against the bare S3 client.

A real hotich server runs as a child process (`hotich serve`, SQLite event store with AES-GCM at
rest, scans in the S3 server of `services/s3.sh`), as users run it. Three measurements:

1. upload throughput: the same synthetic pages with `hotich upload` (the CLI's own code, in
   this process: digests first, 10 files per request with their digests declared), one
   request at a time (the CLI's default) and ``--jobs`` at once, each against
   `Minio.fput_object` of the same files into a bucket with object lock on the same S3 server,
   as many at once (the baseline); and, as before, one file per request and 10 per request
   through POST /registers/{id}/pages without digests, one request at a time, against
   `fput_object` one at a time; runs alternate, medians are compared;
2. keying commands/s through the HTTP API (key, second-key, verify; entries drawn by the demo's
   generator), against GET /healthz requests/s on the same server (the HTTP floor);
3. one big TIFF: `hotich upload` (declared: streamed through to S3) against `fput_object`,
   alternating, and once without digests (received whole first); the server's memory (VmRSS
   sampled from /proc) meanwhile.

Timings are printed, never asserted. Needs the S3 server's HOTICH_TEST_S3_* settings
(`bash services/s3.sh env`, exported by `make bench`).

    python -m bench.upload [--pages 200] [--page-kb 500] [--big-mb 500] [--keying 300] [--jobs 2]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import httpx
from minio import Minio
from rich.console import Console

from bench.figures import Stopwatch, alternate, machine, medians, per_second, ratio
from bench.process_memory import SAMPLE_SECONDS, RssSampler, reset_peak_rss, status_kb
from bench.s3 import (
    S3,
    describe_s3,
    fresh_name,
    make_locked_bucket,
    purge_buckets,
    put_direct,
    s3_from_env,
)
from bench.scans import make_pages, write_big_tiff
from bench.server import Server, expect
from bench.workload import COMMUNE, births
from bench.workspace import BenchError, exit_on_sigterm, workdir
from cli.client import HotichClient
from cli.upload import DEFAULT_BATCH, DEFAULT_JOBS, upload_folder

KB = 1_000
MB = 1_000_000
BATCH = 10
BOOK_PAGES = 400  # the book whose upload time is printed
QUIET = Console(quiet=True)
DEFAULT_MAX_PIXELS = 250_000_000
CLERK, CLERK2, VERIFIER = "clerk.026.1", "clerk.026.2", "verifier.026.1"
YEARS = (1990, 1992)  # of the books catalogued


# ----- 1. upload throughput -------------------------------------------------------------------
_books = iter(range(1, 1_000_000))


def catalogue(client: httpx.Client, pages: int) -> str:
    body = {
        "commune_code": COMMUNE,
        "kind": "birth",
        "year_from": YEARS[0],
        "year_to": YEARS[1],
        "book_number": f"BENCH-{next(_books):04d}",
        "page_count": pages,
        "estimated_entries": 1000,
    }
    return str(expect(client.post("/registers", json=body), 201, "POST /registers")["id"])


def upload_hotich(client: httpx.Client, register_id: str, paths: list[Path], batch: int) -> float:
    """Seconds to upload ``paths`` sequentially, ``batch`` files per request, streamed."""
    with Stopwatch() as clock:
        for i in range(0, len(paths), batch):
            chunk = paths[i : i + batch]
            with contextlib.ExitStack() as files:
                response = client.post(
                    f"/registers/{register_id}/pages",
                    files=[
                        ("files", (p.name, files.enter_context(p.open("rb")), "image/tiff"))
                        for p in chunk
                    ],
                    data={"pages": " ".join(str(int(p.stem)) for p in chunk)},
                )
            report = expect(response, 201, f"upload {chunk[0].name}…")["pages"]
            if len(report) != len(chunk) or not all(p["recorded"] and p["stored"] for p in report):
                raise BenchError(f"upload {chunk[0].name}…: not all stored and recorded: {report}")
    return clock.seconds


def upload_direct(s3: Minio, bucket: str, paths: list[Path], jobs: int = 1) -> float:
    """Seconds to `fput_object` ``paths``, ``jobs`` at once (5 MiB parts, one at a time)."""
    with Stopwatch() as clock:
        if jobs == 1:
            for p in paths:
                put_direct(s3, bucket, p)
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                list(pool.map(lambda p: put_direct(s3, bucket, p), paths))
    return clock.seconds


def upload_cli(server: Server, token: str, register_id: str, folder: Path, jobs: int) -> float:
    """Seconds of `hotich upload` of ``folder`` (the CLI's code, quiet, ``jobs`` in flight)."""
    client = HotichClient(server.url, token, timeout=3600)
    try:
        with Stopwatch() as clock:
            summary = upload_folder(
                client, UUID(register_id), folder, QUIET, batch_size=DEFAULT_BATCH, jobs=jobs
            )
    finally:
        client.close()
    if summary.failed or summary.already_stored:
        raise BenchError(f"hotich upload of {folder}: {summary}")
    return clock.seconds


def bench_throughput(
    server: Server, token: str, s3: Minio, paths: list[Path], repeats: int, jobs: int
) -> list[str]:
    """Direct and hotich runs alternate ``repeats`` times; returns the buckets it made."""
    total = sum(p.stat().st_size for p in paths)
    folder = paths[0].parent
    buckets: list[str] = []
    with server.client(token, timeout=600) as clerk:
        # warm-up (not measured): connections, imports and caches on both sides
        upload_hotich(clerk, catalogue(clerk, len(paths)), paths[:2], 1)
        buckets.append(make_locked_bucket(s3))
        upload_direct(s3, buckets[-1], paths[:2])

        print(
            f"upload: {len(paths)} distinct pages of {total / len(paths) / KB:,.0f} KB "
            f"({total / MB:,.1f} MB, uncompressed grayscale TIFF of noise), from disk; "
            "MB = 10^6 B",
            flush=True,
        )

        def megabytes_per_second(kind: str) -> float:
            if kind.startswith("direct"):
                buckets.append(make_locked_bucket(s3))
                seconds = upload_direct(s3, buckets[-1], paths, int(kind.split()[1]))
            elif kind.startswith("cli"):
                register_id = catalogue(clerk, len(paths))
                seconds = upload_cli(server, token, register_id, folder, int(kind.split()[1]))
            else:
                register_id = catalogue(clerk, len(paths))
                seconds = upload_hotich(clerk, register_id, paths, int(kind.split()[1]))
            return total / MB / seconds

        concurrency = sorted({DEFAULT_JOBS, jobs})
        kinds = (
            *(k for n in concurrency for k in (f"direct {n}", f"cli {n}")),
            "hotich 1",
            f"hotich {BATCH}",
        )
        runs = alternate(kinds, repeats, megabytes_per_second)
    median = medians(runs)
    labels = {
        **{f"direct {n}": f"direct Minio.fput_object, {n} at once" for n in concurrency},
        **{
            f"cli {n}": f"hotich upload, {DEFAULT_BATCH} files a request, {n} in flight"
            for n in concurrency
        },
        "hotich 1": "POST /pages without digests, 1 file a request",
        f"hotich {BATCH}": f"POST /pages without digests, {BATCH} files a request",
    }
    baseline = {f"cli {n}": f"direct {n}" for n in concurrency}
    baseline.update({"hotich 1": "direct 1", f"hotich {BATCH}": "direct 1"})
    for kind in kinds:
        rate = median[kind]
        spread = f"{min(runs[kind]):.1f}–{max(runs[kind]):.1f}"
        base = baseline.get(kind)
        versus = f"   {ratio('hotich/direct', rate, median[base])}" if base else ""
        print(
            f"  {labels[kind]:54} {rate:7.1f} MB/s  ({spread}, "
            f"{rate * MB / total * len(paths):5.1f} pages/s){versus}",
            flush=True,
        )
    pages_per_second = median[f"cli {DEFAULT_JOBS}"] * MB / total * len(paths)
    print(
        f"  one clerk with hotich upload (its defaults): {pages_per_second:.0f} pages/s; a "
        f"{BOOK_PAGES}-page book of these pages in {BOOK_PAGES / pages_per_second:.1f} s",
        flush=True,
    )
    print(
        f"  (median of {repeats}, alternating; target in the issue: hotich upload >= 0.9 x "
        "direct at the same concurrency)",
        flush=True,
    )
    return buckets


# ----- 2. keying commands ---------------------------------------------------------------------
def timed_healthz(client: httpx.Client, count: int) -> float:
    with Stopwatch() as clock:
        for _ in range(count):
            expect(client.get("/healthz"), 200, "GET /healthz")
    return clock.seconds


def bench_keying(server: Server, tokens: dict[str, str], commands: int) -> None:
    n_second = n_verify = commands // 4
    n_key = commands - n_second - n_verify
    # entry 0 is the warm-up's; the rest are keyed, some second-keyed alike and verified
    fields = list(itertools.islice(births(seed=0, years=YEARS), n_key + 1))

    with (
        server.client(tokens[CLERK]) as clerk,
        server.client(tokens[CLERK2]) as clerk2,
        server.client(tokens[VERIFIER]) as verifier,
        server.client(None) as anonymous,
    ):
        register_id = catalogue(clerk, 2000)
        # warm-up (not measured): one entry through every command, and the floor
        warm = expect(
            clerk.post(
                f"/registers/{register_id}/entries",
                json={"entry_number": 100_000, "pages": [1], "fields": fields[0]},
            ),
            201,
            "key (warm-up)",
        )["id"]
        expect(
            clerk2.post(f"/entries/{warm}/second-keying", json={"fields": fields[0]}),
            200,
            "second-key (warm-up)",
        )
        expect(verifier.post(f"/entries/{warm}/verification", json={}), 200, "verify (warm)")
        timed_healthz(anonymous, 20)

        floor_seconds = timed_healthz(anonymous, commands)
        seconds: dict[str, float] = {}
        entries: list[tuple[str, int]] = []
        with Stopwatch() as clock:
            for n in range(1, n_key + 1):
                body = {"entry_number": n, "pages": [1 + n // 4], "fields": fields[n]}
                response = clerk.post(f"/registers/{register_id}/entries", json=body)
                entries.append((expect(response, 201, f"key entry {n}")["id"], n))
        seconds["key"] = clock.seconds
        with Stopwatch() as clock:
            for entry_id, n in entries[:n_second]:
                response = clerk2.post(
                    f"/entries/{entry_id}/second-keying", json={"fields": fields[n]}
                )
                _expect_status(response, "second-key", n, "second_keyed")
        seconds["second"] = clock.seconds
        with Stopwatch() as clock:
            for entry_id, n in entries[:n_verify]:
                response = verifier.post(f"/entries/{entry_id}/verification", json={})
                _expect_status(response, "verify", n, "verified")
        seconds["verify"] = clock.seconds
        floor_seconds += timed_healthz(anonymous, commands)

    floor = per_second(2 * commands, floor_seconds)
    print(
        f"keying: {commands} commands through HTTP, sequential, one keep-alive client per user "
        "(SQLite event store, signed, AES-GCM at rest)",
        flush=True,
    )
    print(
        f"  {'GET /healthz (the HTTP floor)':46} {floor:7,.0f} req/s   "
        f"({2 * commands} requests, before and after the commands)",
        flush=True,
    )
    rows = (
        ("key    POST /registers/{id}/entries", n_key, seconds["key"]),
        ("second POST /entries/{id}/second-keying", n_second, seconds["second"]),
        ("verify POST /entries/{id}/verification", n_verify, seconds["verify"]),
        ("all commands", commands, sum(seconds.values())),
    )
    for label, count, spent in rows:
        rate = per_second(count, spent)
        print(
            f"  {label:46} {rate:7,.0f} cmd/s   ({count} commands, "
            f"{spent / count * 1000:5.1f} ms each, {ratio('to /healthz', rate, floor)})",
            flush=True,
        )


def _expect_status(response: httpx.Response, what: str, n: int, status: str) -> None:
    if expect(response, 200, f"{what} entry {n}")["status"] != status:
        raise BenchError(f"entry {n} is not {status}: {response.text[:300]}")


# ----- 3. one big TIFF: time and memory ------------------------------------------------------
def bench_big_upload(
    server: Server, token: str, path: Path, size: tuple[int, int], s3: Minio, repeats: int
) -> list[str]:
    """Returns the buckets of the direct comparison."""
    nbytes = path.stat().st_size
    buckets: list[str] = []
    peaks: dict[str, list[int]] = {"cli": [], "post": []}
    time.sleep(0.5)
    before = status_kb(server.pid, "VmRSS")

    def sampled(kind: str, upload: Callable[[], float]) -> float:
        reset_peak_rss(server.pid)
        with RssSampler(server.pid) as sampler:
            seconds = upload()
        peaks[kind].append(max([*sampler.samples, status_kb(server.pid, "VmHWM")]))
        return seconds

    def megabytes_per_second(kind: str) -> float:
        if kind == "direct":
            buckets.append(make_locked_bucket(s3))
            seconds = upload_direct(s3, buckets[-1], [path])
        else:
            with server.client(token) as clerk:
                register_id = catalogue(clerk, 10)
            seconds = sampled("cli", lambda: upload_cli(server, token, register_id, path.parent, 1))
        return nbytes / MB / seconds

    runs = alternate(("direct", "cli"), repeats, megabytes_per_second)
    with server.client(token, timeout=3600) as clerk:
        register_id = catalogue(clerk, 10)
        whole = sampled("post", lambda: upload_hotich(clerk, register_id, [path], 1))
    median = medians(runs)
    width, height = size
    print(
        f"big upload: one {nbytes / MB:,.0f} MB uncompressed TIFF ({width:,} x {height:,} px); "
        f"server RSS before {before / 1024:,.0f} MB",
        flush=True,
    )
    rows = (
        ("direct Minio.fput_object (5 MiB parts)", median["direct"], runs["direct"], None),
        ("hotich upload (digests declared: streamed)", median["cli"], runs["cli"], "cli"),
        ("POST /pages without digests (received whole)", nbytes / MB / whole, None, "post"),
    )
    for label, rate, spread, peak in rows:
        spread_text = f" ({min(spread):.1f}–{max(spread):.1f})" if spread else ""
        versus = f"   {ratio('hotich/direct', rate, median['direct'])}" if peak else ""
        memory = f"   server RSS peak {max(peaks[peak]) / 1024:,.0f} MB" if peak else ""
        print(
            f"  {label:46} {rate:7.1f} MB/s{spread_text} ({nbytes / MB / rate:.1f} s)"
            f"{versus}{memory}",
            flush=True,
        )
    print(
        f"  (median of {repeats}, alternating; RSS sampled every {SAMPLE_SECONDS * 1000:.0f} ms "
        "and VmHWM reset before each; targets in the issue: ratio >= 0.8, peak under 200 MB)",
        flush=True,
    )
    return buckets


# ----- main -----------------------------------------------------------------------------------
def server_env(s3: S3, bucket: str, big_path: Path, big_size: tuple[int, int]) -> dict[str, str]:
    """Scans in ``bucket``; uploads and pixels allowed up to twice the big TIFF's."""
    return {
        **s3.server_env(bucket),
        "HOTICH_MAX_UPLOAD_BYTES": str(max(1 << 30, 2 * big_path.stat().st_size)),
        "HOTICH_MAX_PIXELS": str(max(DEFAULT_MAX_PIXELS, 2 * big_size[0] * big_size[1])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=200, help="pages of the throughput runs")
    parser.add_argument("--page-kb", type=int, default=500, help="size of a page, KB (10^3 B)")
    parser.add_argument("--big-mb", type=int, default=500, help="size of the big TIFF, MB")
    parser.add_argument("--keying", type=int, default=300, help="keying commands")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--jobs", type=int, default=2, help="requests (and puts) in flight, beside the default"
    )
    args = parser.parse_args()
    if args.pages < 2 or args.keying < 4 or args.big_mb < 1:
        parser.error("--pages >= 2, --keying >= 4 and --big-mb >= 1, please")
    exit_on_sigterm()
    s3 = s3_from_env()
    print(
        f"upload bench: S3 server {describe_s3(s3)}; machine: {machine()}; hotich: one "
        "`hotich serve` child process, SQLite event store, AES-GCM at rest",
        flush=True,
    )
    s3_client = s3.client()
    buckets: list[str] = []
    with workdir("upload-") as work:
        pages_dir = work / "pages"
        pages_dir.mkdir()
        paths = make_pages(pages_dir, args.pages, args.page_kb * KB)
        big_path = work / "big" / "0001.tif"
        big_path.parent.mkdir()
        big_size = write_big_tiff(big_path, args.big_mb * MB)
        server_dir = work / "server"
        server_dir.mkdir()
        bucket = fresh_name("hotich")
        server = Server(server_dir, server_env(s3, bucket, big_path, big_size))
        buckets.append(bucket)  # hotich serve creates it
        try:
            with server.running("upload bench"):
                tokens = {
                    CLERK: server.add_user(CLERK, "clerk"),
                    CLERK2: server.add_user(CLERK2, "clerk"),
                    VERIFIER: server.add_user(VERIFIER, "verifier"),
                }
                buckets += bench_throughput(
                    server, tokens[CLERK], s3_client, paths, args.repeats, args.jobs
                )
                bench_keying(server, tokens, args.keying)
                buckets += bench_big_upload(
                    server, tokens[CLERK], big_path, big_size, s3_client, args.repeats
                )
        finally:
            purge_buckets(s3_client, buckets)


if __name__ == "__main__":
    main()
