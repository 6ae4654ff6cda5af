"""Upload benchmark: scanned pages through hotich's HTTP API against the bare S3 client.

A real hotich server runs as a child process (`hotich serve`, SQLite event store with AES-GCM at
rest, scans in the S3 server of `services/s3.sh`), as users run it. Three measurements:

1. upload throughput: the same synthetic pages through POST /registers/{id}/pages, one file per
   request and 10 per request, against `Minio.fput_object` of the same files into a bucket with
   object lock on the same S3 server (the baseline); runs alternate, medians are compared;
2. keying commands/s through the HTTP API (key, second-key, verify), against GET /healthz
   requests/s on the same server (the HTTP floor);
3. the server's memory (VmRSS sampled from /proc) while one big TIFF uploads.

Timings are printed, never asserted. Needs the S3 server's HOTICH_TEST_S3_* settings
(`bash services/s3.sh env`, exported by `make bench`).

    python -m bench.upload [--pages 200] [--page-kb 500] [--big-mb 500] [--keying 300]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import urllib3
from minio import Minio
from minio.error import MinioException
from PIL import Image, TiffImagePlugin

ROOT = Path(__file__).resolve().parents[1]
S3_SCRIPT = ROOT / "infra" / "scripts" / "s3.sh"
VERSITYGW = ROOT / ".services" / "bin" / "versitygw"
S3_ENV = ("HOTICH_TEST_S3_ENDPOINT", "HOTICH_TEST_S3_ACCESS_KEY", "HOTICH_TEST_S3_SECRET_KEY")
# `python -m cli.main users …` does not reach the users commands: the module's
# `if __name__ == "__main__": app()` runs before they are registered. The console script
# (`hotich`) imports the whole module first; so does this.
SERVE = (sys.executable, "-m", "cli.main", "serve")
USERS_ADD = (sys.executable, "-c", "from cli.main import app; app()", "users", "add")

KB = 1_000
MB = 1_000_000
BATCH = 10
PAGE_WIDTH = 1_000
BIG_WIDTH = 20_000
SAMPLE_SECONDS = 0.05
UPLOAD_PART_SIZE = 5 * 1024 * 1024  # what infra/blobs/minio.py uses (one part at a time)
DEFAULT_MAX_PIXELS = 250_000_000
COMMUNE = "00718"  # in district 026
CLERK, CLERK2, VERIFIER = "clerk.026.1", "clerk.026.2", "verifier.026.1"
FAMILIES = ("Giàng", "Sùng", "Vàng", "Thào", "Nông", "Hoàng", "Triệu", "Bàn", "Nguyễn", "Lò")
GIVEN = ("Pó", "Chúa", "Dình", "Mỷ", "Thài", "Phìn", "Hoà", "Thủy", "Lan", "Dũng")


class BenchError(RuntimeError):
    """Something the benchmark needs did not work (not a slow figure: those are only printed)."""


@dataclass(frozen=True)
class S3:
    endpoint: str
    access_key: str
    secret_key: str

    def client(self) -> Minio:
        return Minio(self.endpoint, self.access_key, self.secret_key, secure=False)


def s3_from_env() -> S3:
    missing = [name for name in S3_ENV if not os.environ.get(name)]
    if missing:
        sys.exit(
            f"{', '.join(missing)} not set: run `make bench`, or `bash services/s3.sh start` "
            "then `eval \"$(bash services/s3.sh env | sed 's/^/export /')\"`"
        )
    return S3(*(os.environ[name] for name in S3_ENV))


def describe_s3(s3: S3) -> str:
    """Which S3 server answers at the endpoint: versitygw of s3.sh (with its version) or unknown."""
    status = subprocess.run(
        ["bash", str(S3_SCRIPT), "status"], capture_output=True, text=True, check=False
    )
    port = s3.endpoint.rsplit(":", 1)[-1]
    if status.returncode != 0 or f"127.0.0.1:{port}," not in status.stdout:
        return f"an S3 server at {s3.endpoint} (not the one services/s3.sh started)"
    version = "version unknown"
    with contextlib.suppress(OSError):
        # Go embeds the module versions in the binary (what `go version -m` prints).
        found = re.search(
            rb"\nmod\tgithub\.com/versity/versitygw\t(v[^\t\n]+)", VERSITYGW.read_bytes()
        )
        if found:
            version = found.group(1).decode()
    return f"versitygw {version} (services/s3.sh, posix backend) at {s3.endpoint}"


def fresh_name(what: str) -> str:
    return f"bench-{what}-{uuid.uuid4().hex[:16]}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def expect(response: httpx.Response, status: int, what: str) -> Any:
    if response.status_code != status:
        raise BenchError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    return response.json()


# ----- synthetic scans ------------------------------------------------------------------------
def make_pages(directory: Path, count: int, page_bytes: int, seed: int = 0) -> list[Path]:
    """``count`` distinct grayscale TIFFs of noise (uncompressed: noise would not compress)."""
    rng = random.Random(seed)
    height = max(1, page_bytes // PAGE_WIDTH)
    paths: list[Path] = []
    for n in range(1, count + 1):
        image = Image.frombytes("L", (PAGE_WIDTH, height), rng.randbytes(PAGE_WIDTH * height))
        path = directory / f"{n:04d}.tif"
        image.save(path, format="TIFF")
        paths.append(path)
    return paths


def _ifd_entry(tag: int, value: int, *, short: bool = False) -> bytes:
    if short:  # SHORT (3), count 1, value left-justified in the 4-byte field
        return struct.pack("<HHIHH", tag, 3, 1, value, 0)
    return struct.pack("<HHII", tag, 4, 1, value)  # LONG (4), count 1


def write_big_tiff(path: Path, size: int) -> tuple[int, int]:
    """A valid uncompressed 8-bit grayscale TIFF of about ``size`` bytes, one strip, written
    as a minimal header and the pixel bytes in chunks (Pillow would build it in memory)."""
    width = min(BIG_WIDTH, max(1, size))
    height = max(1, size // width)
    pixels = width * height
    if pixels >= 1 << 32:
        raise BenchError("a classic TIFF strip holds under 4 GiB: use a smaller --big-mb")
    entries = [
        _ifd_entry(256, width),  # ImageWidth
        _ifd_entry(257, height),  # ImageLength
        _ifd_entry(258, 8, short=True),  # BitsPerSample
        _ifd_entry(259, 1, short=True),  # Compression: none
        _ifd_entry(262, 1, short=True),  # PhotometricInterpretation: BlackIsZero
        b"",  # StripOffsets, once the header size is known
        _ifd_entry(277, 1, short=True),  # SamplesPerPixel
        _ifd_entry(278, height),  # RowsPerStrip: one strip
        _ifd_entry(279, pixels),  # StripByteCounts
    ]
    data_offset = 8 + 2 + 12 * len(entries) + 4
    entries[5] = _ifd_entry(273, data_offset)
    block = os.urandom(4 * 1024 * 1024)
    with path.open("wb") as f:
        f.write(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries)))
        f.write(b"".join(entries) + struct.pack("<I", 0))  # no next IFD
        left = pixels
        while left:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
    with path.open("rb") as handle, TiffImagePlugin.TiffImageFile(handle) as image:
        if image.size != (width, height) or image.mode != "L":
            raise BenchError(f"Pillow reads {image.size} {image.mode} from {path}")
    return width, height


# ----- the server -----------------------------------------------------------------------------
@dataclass
class Server:
    """`hotich serve` in a child process, its home in ``work`` (bench/portal.py uses it too)."""

    work: Path
    extra_env: dict[str, str]  # HOTICH_* settings beyond the home
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.work / "server.log"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTICH_")}
        env.update(HOTICH_HOME=str(self.work / "home"), HOTICH_DEMO="false", **self.extra_env)
        return env

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 120) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*SERVE, "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the bench, which stops the server
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"hotich serve exited ({self.process.returncode}):\n{self.tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise BenchError(f"hotich serve not answering after {timeout:.0f} s:\n{self.tail()}")

    def add_user(
        self, user_id: str, role: str, *, districts: str = "026", name: str | None = None
    ) -> str:
        """`hotich users add`; returns the token (the last line it prints)."""
        out = subprocess.run(
            [
                *USERS_ADD,
                user_id,
                "--role",
                role,
                "--districts",
                districts,
                "--name",
                name or user_id,
            ],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = out.stdout.strip().splitlines()
        if out.returncode != 0 or not lines:
            raise BenchError(f"users add {user_id}: exit {out.returncode}: {out.stderr[-500:]}")
        return lines[-1].strip()

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text("utf-8", "replace").splitlines()[-lines:])
        return "(no server log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def status_kb(pid: int, name: str) -> int:
    """A ``Vm…`` line of /proc/<pid>/status, in kB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    raise BenchError(f"no {name} in /proc/{pid}/status")


class RssSampler(threading.Thread):
    """Samples the VmRSS of a process every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples: list[int] = []
        self._done = threading.Event()

    def run(self) -> None:
        while True:
            with contextlib.suppress(OSError, BenchError):
                self.samples.append(status_kb(self.pid, "VmRSS"))
            if self._done.wait(self.interval):
                return

    def __enter__(self) -> RssSampler:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self.join()


# ----- 1. upload throughput -------------------------------------------------------------------
_books = iter(range(1, 1_000_000))


def catalogue(client: httpx.Client, pages: int) -> str:
    body = {
        "commune_code": COMMUNE,
        "kind": "birth",
        "year_from": 1990,
        "year_to": 1992,
        "book_number": f"BENCH-{next(_books):04d}",
        "page_count": pages,
        "estimated_entries": 1000,
    }
    return str(expect(client.post("/registers", json=body), 201, "POST /registers")["id"])


def upload_hotich(client: httpx.Client, register_id: str, paths: list[Path], batch: int) -> float:
    """Seconds to upload ``paths`` sequentially, ``batch`` files per request, streamed."""
    started = time.perf_counter()
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
    return time.perf_counter() - started


def make_locked_bucket(s3: Minio) -> str:
    bucket = fresh_name("direct")
    s3.make_bucket(bucket, object_lock=True)  # as the adapter does (object lock: versioning)
    return bucket


def upload_direct(s3: Minio, bucket: str, paths: list[Path]) -> float:
    """Seconds to `fput_object` ``paths`` sequentially (the adapter's part size and 1 thread)."""
    started = time.perf_counter()
    for p in paths:
        s3.fput_object(
            bucket,
            f"scans/{p.name}",
            str(p),
            content_type="image/tiff",
            part_size=UPLOAD_PART_SIZE,
            num_parallel_uploads=1,
        )
    return time.perf_counter() - started


def bench_throughput(clerk: httpx.Client, s3: Minio, paths: list[Path], repeats: int) -> list[str]:
    """Direct and hotich runs alternate ``repeats`` times; returns the buckets it made."""
    total = sum(p.stat().st_size for p in paths)
    buckets: list[str] = []
    # warm-up (not measured): connections, imports and caches on both sides
    upload_hotich(clerk, catalogue(clerk, len(paths)), paths[:2], 1)
    buckets.append(make_locked_bucket(s3))
    upload_direct(s3, buckets[-1], paths[:2])

    print(
        f"upload: {len(paths)} distinct pages of {total / len(paths) / KB:,.0f} KB "
        f"({total / MB:,.1f} MB, uncompressed grayscale TIFF of noise), sequential, "
        f"from disk; MB = 10^6 B",
        flush=True,
    )
    kinds = ("direct", "hotich 1", f"hotich {BATCH}")
    runs: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(repeats):
        for kind in kinds:
            if kind == "direct":
                buckets.append(make_locked_bucket(s3))
                seconds = upload_direct(s3, buckets[-1], paths)
            else:
                register_id = catalogue(clerk, len(paths))
                seconds = upload_hotich(clerk, register_id, paths, int(kind.split()[1]))
            runs[kind].append(total / MB / seconds)
    direct = statistics.median(runs["direct"])
    labels = {
        "direct": "direct Minio.fput_object, fresh locked bucket",
        "hotich 1": "hotich POST /pages, 1 file per request",
        f"hotich {BATCH}": f"hotich POST /pages, {BATCH} files per request",
    }
    for kind in kinds:
        rate = statistics.median(runs[kind])
        spread = f"{min(runs[kind]):.1f}–{max(runs[kind]):.1f}"
        ratio = "" if kind == "direct" else f"   ratio hotich/direct {rate / direct:4.2f}"
        print(
            f"  {labels[kind]:46} {rate:7.1f} MB/s  ({spread}, "
            f"{rate * MB / total * len(paths):5.1f} pages/s){ratio}",
            flush=True,
        )
    print(f"  (median of {repeats}, alternating; target in the issue: ratio >= 0.9)", flush=True)
    return buckets


# ----- 2. keying commands ---------------------------------------------------------------------
def birth_fields(n: int) -> dict[str, str]:
    return {
        "child.full_name": f"{FAMILIES[n % 10]} {'Seo' if n % 2 else 'Thị'} {GIVEN[n // 10 % 10]}",
        "child.sex": "nam" if n % 2 else "nữ",
        "child.birth_date": f"{1 + n % 28:02d}/{1 + n % 12:02d}/1990",
        "registration_date": f"{1 + n % 28:02d}/{1 + n % 12:02d}/1991",
        "mother.full_name": f"{FAMILIES[(n + 3) % 10]} Thị {GIVEN[n % 10]}",
    }


def timed_healthz(client: httpx.Client, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        expect(client.get("/healthz"), 200, "GET /healthz")
    return time.perf_counter() - started


def bench_keying(server: Server, tokens: dict[str, str], commands: int) -> None:
    n_second = n_verify = commands // 4
    n_key = commands - n_second - n_verify

    def client(user: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
        return httpx.Client(base_url=server.url, headers=headers, timeout=60)

    with (
        client(CLERK) as clerk,
        client(CLERK2) as clerk2,
        client(VERIFIER) as verifier,
        client(None) as anonymous,
    ):
        register_id = catalogue(clerk, 2000)
        # warm-up (not measured): one entry through every command, and the floor
        warm = expect(
            clerk.post(
                f"/registers/{register_id}/entries",
                json={"entry_number": 100_000, "pages": [1], "fields": birth_fields(0)},
            ),
            201,
            "key (warm-up)",
        )["id"]
        expect(
            clerk2.post(f"/entries/{warm}/second-keying", json={"fields": birth_fields(0)}),
            200,
            "second-key (warm-up)",
        )
        expect(verifier.post(f"/entries/{warm}/verification", json={}), 200, "verify (warm)")
        timed_healthz(anonymous, 20)

        floor_seconds = timed_healthz(anonymous, commands)
        seconds: dict[str, float] = {}
        entries: list[tuple[str, int]] = []
        started = time.perf_counter()
        for n in range(1, n_key + 1):
            body = {"entry_number": n, "pages": [1 + n // 4], "fields": birth_fields(n)}
            response = clerk.post(f"/registers/{register_id}/entries", json=body)
            entries.append((expect(response, 201, f"key entry {n}")["id"], n))
        seconds["key"] = time.perf_counter() - started
        started = time.perf_counter()
        for entry_id, n in entries[:n_second]:
            response = clerk2.post(
                f"/entries/{entry_id}/second-keying", json={"fields": birth_fields(n)}
            )
            if expect(response, 200, f"second-key entry {n}")["status"] != "second_keyed":
                raise BenchError(f"entry {n} is not second_keyed: {response.text[:300]}")
        seconds["second"] = time.perf_counter() - started
        started = time.perf_counter()
        for entry_id, n in entries[:n_verify]:
            response = verifier.post(f"/entries/{entry_id}/verification", json={})
            if expect(response, 200, f"verify entry {n}")["status"] != "verified":
                raise BenchError(f"entry {n} is not verified: {response.text[:300]}")
        seconds["verify"] = time.perf_counter() - started
        floor_seconds += timed_healthz(anonymous, commands)

    floor = 2 * commands / floor_seconds
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
        rate = count / spent
        print(
            f"  {label:46} {rate:7,.0f} cmd/s   ({count} commands, "
            f"{spent / count * 1000:5.1f} ms each, ratio to /healthz {rate / floor:4.2f})",
            flush=True,
        )


# ----- 3. memory during a big upload ----------------------------------------------------------
def reset_peak_rss(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux: "5" to clear_refs)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return True


def bench_big_upload(
    server: Server, clerk: httpx.Client, path: Path, size: tuple[int, int], s3: Minio
) -> str:
    """Returns the bucket of the direct comparison."""
    nbytes = path.stat().st_size
    register_id = catalogue(clerk, 10)
    time.sleep(0.5)
    before = status_kb(server.pid, "VmRSS")
    hwm_reset = reset_peak_rss(server.pid)
    with RssSampler(server.pid) as sampler, path.open("rb") as f:
        started = time.perf_counter()
        response = clerk.post(
            f"/registers/{register_id}/pages",
            files=[("files", (path.name, f, "image/tiff"))],
            data={"pages": "1"},
            timeout=3600,
        )
        seconds = time.perf_counter() - started
    expect(response, 201, "big upload")
    hwm = status_kb(server.pid, "VmHWM")
    peak = max(sampler.samples, default=before)

    bucket = make_locked_bucket(s3)
    started = time.perf_counter()
    s3.fput_object(
        bucket,
        f"scans/{path.name}",
        str(path),
        content_type="image/tiff",
        part_size=UPLOAD_PART_SIZE,
        num_parallel_uploads=1,
    )
    direct = time.perf_counter() - started

    width, height = size
    print(
        f"big upload: one {nbytes / MB:,.0f} MB uncompressed TIFF ({width:,} x {height:,} px) "
        "in one POST /registers/{id}/pages",
        flush=True,
    )
    print(
        f"  hotich {nbytes / MB / seconds:7.1f} MB/s ({seconds:.1f} s)   direct Minio.fput_object "
        f"{nbytes / MB / direct:7.1f} MB/s ({direct:.1f} s)   ratio hotich/direct "
        f"{direct / seconds:4.2f}",
        flush=True,
    )
    print(
        f"  server RSS: before {before / 1024:,.0f} MB, peak during the upload "
        f"{peak / 1024:,.0f} MB ({len(sampler.samples)} samples every "
        f"{SAMPLE_SECONDS * 1000:.0f} ms), growth {(peak - before) / 1024:,.0f} MB; VmHWM "
        f"{hwm / 1024:,.0f} MB ({'reset before the upload' if hwm_reset else 'since start'})",
        flush=True,
    )
    print("  (target in the issue: peak under 200 MB, i.e. streamed)", flush=True)
    return bucket


# ----- main -----------------------------------------------------------------------------------
def purge_buckets(s3: Minio, buckets: list[str]) -> None:
    """Delete every object version and the buckets (the S3 data is throwaway; saves disk)."""
    for bucket in buckets:
        try:
            for _ in range(5):  # list first, then delete: listing while deleting skips some
                versions = {
                    (obj.object_name, obj.version_id)
                    for obj in s3.list_objects(bucket, recursive=True, include_version=True)
                    if obj.object_name is not None
                }
                if not versions:
                    break
                for name, version_id in versions:
                    s3.remove_object(bucket, name, version_id=version_id)
            s3.remove_bucket(bucket)
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as e:
            print(f"  (could not remove bucket {bucket}: {e})", file=sys.stderr)


def _stop_on_sigterm(signum: int, _: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    root = Path(os.environ.get("HOTICH_BENCH_DIR", ".bench"))
    made_root = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="upload-", dir=root))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if made_root:
            with contextlib.suppress(OSError):
                root.rmdir()  # only if empty


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=200, help="pages of the throughput runs")
    parser.add_argument("--page-kb", type=int, default=500, help="size of a page, KB (10^3 B)")
    parser.add_argument("--big-mb", type=int, default=500, help="size of the big TIFF, MB")
    parser.add_argument("--keying", type=int, default=300, help="keying commands")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.pages < 2 or args.keying < 4 or args.big_mb < 1:
        parser.error("--pages >= 2, --keying >= 4 and --big-mb >= 1, please")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    s3 = s3_from_env()
    print(
        f"upload bench: S3 server {describe_s3(s3)}; machine: {len(os.sched_getaffinity(0))} "
        f"CPUs (nproc), {platform.machine()}, Python {platform.python_version()}; hotich: one "
        "`hotich serve` child process, SQLite event store, AES-GCM at rest",
        flush=True,
    )
    big_bytes = args.big_mb * MB
    s3_client = s3.client()
    buckets: list[str] = []
    with workdir() as work:
        pages_dir = work / "pages"
        pages_dir.mkdir()
        paths = make_pages(pages_dir, args.pages, args.page_kb * KB)
        big_path = work / "big" / "0001.tif"
        big_path.parent.mkdir()
        big_size = write_big_tiff(big_path, big_bytes)
        server_dir = work / "server"
        server_dir.mkdir()
        bucket = fresh_name("hotich")
        server = Server(
            server_dir,
            {
                "HOTICH_S3_ENDPOINT": s3.endpoint,
                "HOTICH_S3_ACCESS_KEY": s3.access_key,
                "HOTICH_S3_SECRET_KEY": s3.secret_key,
                "HOTICH_S3_BUCKET": bucket,
                "HOTICH_MAX_UPLOAD_BYTES": str(max(1 << 30, 2 * big_path.stat().st_size)),
                "HOTICH_MAX_PIXELS": str(max(DEFAULT_MAX_PIXELS, 2 * big_size[0] * big_size[1])),
            },
        )
        buckets.append(bucket)  # hotich serve creates it
        try:
            server.start()
            tokens = {
                CLERK: server.add_user(CLERK, "clerk"),
                CLERK2: server.add_user(CLERK2, "clerk"),
                VERIFIER: server.add_user(VERIFIER, "verifier"),
            }
            headers = {"Authorization": f"Bearer {tokens[CLERK]}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=600) as clerk:
                buckets += bench_throughput(clerk, s3_client, paths, args.repeats)
                bench_keying(server, tokens, args.keying)
                buckets.append(bench_big_upload(server, clerk, big_path, big_size, s3_client))
        except BenchError as e:
            print(f"upload bench failed: {e}\n--- server log ---\n{server.tail()}", file=sys.stderr)
            raise SystemExit(1) from None
        finally:
            server.stop()
            purge_buckets(s3_client, buckets)


if __name__ == "__main__":
    main()
