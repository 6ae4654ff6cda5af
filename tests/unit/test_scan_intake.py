"""An upload's files on their way in (digitization/intake.py), on the in-memory blob store:
what is kept when, whatever refuses or fails along the way."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from digitization.application import Declared, Digitisation, ScanIntake
from digitization.intake import DeclaredContentError
from digitization.media import ScanError, ScanLimits, ScanTooLargeError
from digitization.ports import BlobStoreUnavailableError, BlobUpload
from digitization.scan_bytes import MemoryBudget
from domain.record_kind import RecordKind
from infra.blobs.memory import InMemoryBlobStore
from tests.unit._builders import CLERK, MA_LE, event_count, ha_giang_units

CHUNK = 64 * 1024


class RecordingBlobStore(InMemoryBlobStore):
    """The fake, counting the uploads begun; ``fail_after``: writes fail (the server went
    away) once that many bytes of an upload were written."""

    def __init__(self) -> None:
        super().__init__()
        self.begun: list[str] = []
        self.fail_after: int | None = None
        self.fail_commits = 0  # the next commits that fail (the server went away)

    def begin_upload(
        self, key: str, *, size: int, media_type: str, sha256: str, look_first: bool = True
    ) -> BlobUpload:
        self.begun.append(key)
        upload = super().begin_upload(
            key, size=size, media_type=media_type, sha256=sha256, look_first=look_first
        )
        return _Faulty(self, upload)


class _Faulty:
    def __init__(self, store: RecordingBlobStore, upload: BlobUpload) -> None:
        self.store = store
        self.upload = upload
        self.written = 0

    def write(self, data: bytes | memoryview) -> None:
        self.written += len(data)
        if self.store.fail_after is not None and self.written > self.store.fail_after:
            raise BlobStoreUnavailableError("the test's S3 server went away")
        self.upload.write(data)

    def commit(self) -> bool:
        if self.store.fail_commits:
            self.store.fail_commits -= 1
            self.upload.abort()
            raise BlobStoreUnavailableError("the connection dropped")
        return self.upload.commit()

    def abort(self) -> None:
        self.upload.abort()


@pytest.fixture
def blobs() -> RecordingBlobStore:
    return RecordingBlobStore()


@pytest.fixture
def app(blobs: RecordingBlobStore) -> Iterator[Digitisation]:
    app = Digitisation(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        units=ha_giang_units(),
        blobs=blobs,
        scan_limits=ScanLimits(max_pixels=30_000_000),
    )
    yield app
    app.close()


@pytest.fixture
def book(app: Digitisation, tmp_path: Path) -> ScanIntake:
    register = app.catalogue_register(
        actor=CLERK,
        commune_code=MA_LE,
        kind=RecordKind.BIRTH,
        year_from=1990,
        year_to=1995,
        book_number="01",
        page_count=50,
        estimated_entries=100,
    )
    return app.receive_scans(actor=CLERK, register_id=register.id, scratch=tmp_path)


def tiff(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (300, 400), color=shade).save(buffer, format="TIFF")
    return buffer.getvalue()


def big_tiff(size: int) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("L", (1000, size // 1000), os.urandom(size // 1000 * 1000)).save(
        buffer, format="TIFF"
    )
    return buffer.getvalue()


def declared(*contents: bytes) -> list[Declared]:
    return [Declared(hashlib.sha256(c).hexdigest(), len(c)) for c in contents]


def receive(intake: ScanIntake, files: list[tuple[str, bytes]]) -> None:
    for label, content in files:
        incoming = intake.open_file(label)
        for start in range(0, len(content), CHUNK):
            incoming.write(content[start : start + CHUNK])
        intake.close_file()


@pytest.fixture
def small_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("digitization.intake.HOLD_BYTES", 100_000)


def test_a_declared_batch_is_sent_on_as_it_arrives_and_kept_once_it_passed(
    app: Digitisation, book: ScanIntake, blobs: RecordingBlobStore, small_hold: None
) -> None:
    files = [("0001.tif", tiff(1)), ("0002.tif", tiff(2)), ("0003.tif", big_tiff(500_000))]
    book.declare(declared(*(c for _, c in files)), pages=None, rescan_reason=None)
    receive(book, files)
    assert len(blobs.begun) == 3  # every page on its way already...
    assert blobs.keys() == []  # ...none kept before the batch passed
    uploads = app.upload_scans(actor=CLERK, intake=book)
    book.discard()
    assert [(u.page_number, u.recorded, u.stored) for u in uploads] == [
        (1, True, True),
        (2, True, True),
        (3, True, True),
    ]
    assert len(blobs.keys()) == 3


def test_a_file_refused_mid_stream_leaves_nothing_of_the_batch(
    app: Digitisation, book: ScanIntake, blobs: RecordingBlobStore, small_hold: None
) -> None:
    good = tiff(3)
    huge = io.BytesIO()
    Image.frombytes("L", (8000, 5000), bytes(40_000_000)).save(huge, format="TIFF")
    content = huge.getvalue()[:1_000_000]
    book.declare(declared(good, content), pages=None, rescan_reason=None)
    events = event_count(app)
    with pytest.raises(ScanError):
        receive(book, [("0001.tif", good), ("0002.tif", content)])
    book.discard()
    assert blobs.keys() == []
    assert event_count(app) == events


def test_bytes_not_as_declared_are_refused_and_leave_nothing(
    book: ScanIntake, blobs: RecordingBlobStore, small_hold: None
) -> None:
    good, other = tiff(4), big_tiff(300_000)
    book.declare(declared(good, other), pages=None, rescan_reason=None)
    altered = other[:-1] + bytes([other[-1] ^ 1])
    with pytest.raises(DeclaredContentError):
        receive(book, [("0001.tif", good), ("0002.tif", altered)])
    book.discard()
    assert blobs.keys() == []


def test_the_store_going_away_mid_stream_is_unavailable_and_leaves_nothing(
    app: Digitisation, book: ScanIntake, blobs: RecordingBlobStore, small_hold: None
) -> None:
    pages = [("0001.tif", tiff(5)), ("0002.tif", big_tiff(600_000))]
    book.declare(declared(*(c for _, c in pages)), pages=None, rescan_reason=None)
    blobs.fail_after = 200_000
    with pytest.raises(BlobStoreUnavailableError):
        receive(book, pages)
    book.discard()
    assert blobs.keys() == []


def test_a_held_page_whose_early_send_failed_is_sent_again_whole(
    app: Digitisation, book: ScanIntake, blobs: RecordingBlobStore
) -> None:
    pages = [("0001.tif", tiff(6)), ("0002.tif", tiff(7))]
    book.declare(declared(*(c for _, c in pages)), pages=None, rescan_reason=None)
    receive(book, pages)
    blobs.fail_commits = 1  # the first early send's connection dropped while it waited
    uploads = app.upload_scans(actor=CLERK, intake=book)
    book.discard()
    assert all(u.stored and u.recorded for u in uploads)
    assert len(blobs.keys()) == 2
    assert len(blobs.begun) == 3  # two sent early, one of them again


def test_bytes_the_book_has_are_checked_and_sent_nowhere(
    app: Digitisation, book: ScanIntake, blobs: RecordingBlobStore, small_hold: None
) -> None:
    pages = [("0001.tif", tiff(8)), ("0002.tif", big_tiff(300_000))]
    book.declare(declared(*(c for _, c in pages)), pages=None, rescan_reason=None)
    receive(book, pages)
    app.upload_scans(actor=CLERK, intake=book)
    book.discard()
    sent = len(blobs.begun)
    again = app.receive_scans(actor=CLERK, register_id=book.register.id)
    again.declare(declared(*(c for _, c in pages)), pages=None, rescan_reason=None)
    receive(again, pages)
    uploads = app.upload_scans(actor=CLERK, intake=again)
    again.discard()
    assert not any(u.recorded or u.stored for u in uploads)
    assert len(blobs.begun) == sent


def test_over_the_memory_budget_files_go_to_scratch_and_are_removed_after(
    app: Digitisation, book: ScanIntake, blobs: RecordingBlobStore, tmp_path: Path
) -> None:
    book.budget = MemoryBudget(limit=150_000)
    book.scratch = tmp_path
    pages = [("0001.tif", tiff(9)), ("0002.tif", tiff(10))]  # 120 kB each: the second spills
    receive(book, pages)
    assert list(tmp_path.glob("hotich-upload-*/*"))
    uploads = app.upload_scans(actor=CLERK, intake=book)
    book.discard()
    assert all(u.stored and u.recorded for u in uploads)
    assert list(tmp_path.glob("hotich-upload-*")) == []
    assert book.budget.held == 0


def test_a_file_is_refused_as_it_passes_the_byte_limit(app: Digitisation, book: ScanIntake) -> None:
    book.limits = ScanLimits(max_bytes=10_000, max_pixels=30_000_000)
    exactly = book.open_file("0001.tif")
    exactly.write(b"II*\x00" + b"\x00" * 9_996)  # the limit is inclusive
    book.discard()
    over = book.open_file("0002.tif")
    over.write(b"x" * 6_000)
    with pytest.raises(ScanTooLargeError) as refused:
        over.write(b"x" * 6_000)  # refused before any of it is kept
    assert str(refused.value) == "files[0002.tif]: the upload exceeds the limit of 10000 bytes"


class DiscardingUpload:
    """An upload to a store that drops the bytes (what a streamed file costs hotich itself)."""

    def write(self, data: bytes | memoryview) -> None:
        pass

    def commit(self) -> bool:
        return True

    def abort(self) -> None:
        pass


def test_a_streamed_file_holds_next_to_nothing_in_memory(
    book: ScanIntake, blobs: RecordingBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blobs, "begin_upload", lambda *_, **__: DiscardingUpload())
    header = tiff_header(1024, 28 * 1024)  # 28 MiB of pixels, streamed through
    content_sha = hashlib.sha256(header)
    chunk = bytes(1 << 20)
    for _ in range(28):
        content_sha.update(chunk)
    size = len(header) + 28 * len(chunk)
    book.declare([Declared(content_sha.hexdigest(), size)], pages=None, rescan_reason=None)
    tracemalloc.start()
    try:
        incoming = book.open_file("0001.tif")
        incoming.write(header)
        for _ in range(28):
            incoming.write(chunk)
        book.close_file()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    book.discard()
    assert peak < 4 * 1024 * 1024  # its head and tail, a chunk: not the 30 MB


def tiff_header(width: int, height: int) -> bytes:
    """The header of an uncompressed 8-bit grey TIFF, one strip: its pixels follow it."""

    def entry(tag: int, value: int) -> bytes:
        return struct.pack("<HHII", tag, 4, 1, value)  # LONG, count 1

    tags = [(256, width), (257, height), (258, 8), (259, 1), (262, 1), (273, 0), (277, 1)]
    tags += [(278, height), (279, width * height)]
    pixels_at = 8 + 2 + 12 * len(tags) + 4
    entries = b"".join(entry(t, pixels_at if t == 273 else v) for t, v in tags)
    return b"II*\x00" + struct.pack("<IH", 8, len(tags)) + entries + struct.pack("<I", 0)
