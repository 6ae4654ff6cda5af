"""One behaviour suite for every BlobStore: a local directory, a real S3 server, the fake.

The S3 server is the versitygw started by ``make test`` (services/s3.sh); each test gets
fresh buckets on it, created with object lock.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import httpx
import pytest
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

from digitization.ports import (
    BlobStore,
    BlobStoreError,
    BlobUpload,
    ObjectLockedError,
    StoredObject,
)
from infra.blobs.local import LocalDirBlobStore
from infra.blobs.memory import InMemoryBlobStore
from infra.blobs.minio import MinioBlobStore
from tests.integration.s3 import S3Server, fresh_bucket_name, s3_server

MB = 1_000_000
KEY = "scans/026/0f3c2b1a-reg/{digest}.png"

AnyStore = LocalDirBlobStore | MinioBlobStore | InMemoryBlobStore
MakeStore = Callable[..., AnyStore]


# ---------------------------------------------------------------- fixtures


def raw_client(server: S3Server) -> Minio:
    return Minio(
        server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        region="us-east-1",
        secure=False,
    )


def empty_and_remove(client: Minio, bucket: str) -> None:
    """Remove every version (bypassing GOVERNANCE retention) and the bucket itself."""
    versions = [
        DeleteObject(str(obj.object_name), obj.version_id)
        for obj in client.list_objects(bucket, recursive=True, include_version=True)
    ]
    errors = list(client.remove_objects(bucket, versions, bypass_governance_mode=True))
    assert not errors, errors
    client.remove_bucket(bucket)


@pytest.fixture
def make_minio_store() -> Iterator[Callable[..., MinioBlobStore]]:
    """A factory of MinIO adapters, each on a fresh bucket (with object lock) of the server."""
    server = s3_server()
    buckets: list[str] = []

    def make(*, retention_days: int = 0, cleanup: bool = True) -> MinioBlobStore:
        bucket = fresh_bucket_name()
        if cleanup:
            buckets.append(bucket)
        store = MinioBlobStore(
            server.endpoint,
            server.access_key,
            server.secret_key,
            bucket,
            retention_days=retention_days,
        )
        store.ensure_bucket()
        return store

    yield make
    client = raw_client(server)
    for bucket in buckets:
        empty_and_remove(client, bucket)


@pytest.fixture(params=["local", "minio", "memory"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> MakeStore:
    """A factory of empty stores of one kind: ``make_store(retention_days=0)``."""
    kind = str(request.param)
    if kind == "minio":
        factory: MakeStore = request.getfixturevalue("make_minio_store")
        return factory
    roots = iter(range(1_000_000))

    def make(*, retention_days: int = 0) -> AnyStore:
        if kind == "local":
            root = tmp_path / f"blobs-{next(roots)}"
            return LocalDirBlobStore(root, retention_days=retention_days)
        return InMemoryBlobStore(retention_days=retention_days)

    return make


@pytest.fixture
def store(make_store: MakeStore) -> AnyStore:
    return make_store()


def write_file(path: Path, data: bytes) -> tuple[Path, str]:
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def put_bytes(store: BlobStore, tmp_path: Path, data: bytes, key: str | None = None) -> str:
    """Store ``data`` (under a content key unless ``key`` is given) and return the key."""
    path, digest = write_file(tmp_path / f"upload-{os.urandom(4).hex()}.png", data)
    key = key or KEY.format(digest=digest)
    assert store.put_file(key, path, size=len(data), media_type="image/png", sha256=digest)
    return key


def read_all(store: BlobStore, key: str, chunk_size: int = 1 << 20) -> bytes:
    return b"".join(store.read(key, chunk_size))


# ---------------------------------------------------------------- behaviour


def test_put_then_stat_and_read_back(store: AnyStore, tmp_path: Path) -> None:
    data = os.urandom(300_001)
    key = put_bytes(store, tmp_path, data)

    assert store.stat(key) == StoredObject(key=key, size=len(data), media_type="image/png")
    assert read_all(store, key) == data
    chunks = list(store.read(key, chunk_size=64 * 1024))
    assert len(chunks) > 1
    assert all(len(chunk) <= 64 * 1024 for chunk in chunks)
    assert b"".join(chunks) == data


def test_absent_key(store: AnyStore) -> None:
    key = KEY.format(digest="0" * 64)
    assert store.stat(key) is None
    assert store.retention(key) is None
    assert store.sha256(key) is None
    with pytest.raises(BlobStoreError, match="no such object"):
        store.read(key)
    store.delete(key)  # nothing to delete: a no-op


def test_second_put_of_a_key_writes_nothing(store: AnyStore, tmp_path: Path) -> None:
    first = os.urandom(10_000)
    key = put_bytes(store, tmp_path, first)

    same, same_digest = write_file(tmp_path / "same.png", first)
    other_bytes = os.urandom(20_000)
    other, other_digest = write_file(tmp_path / "other.png", other_bytes)
    assert not store.put_file(
        key, same, size=len(first), media_type="image/png", sha256=same_digest
    )
    assert not store.put_file(
        key, other, size=len(other_bytes), media_type="image/jpeg", sha256=other_digest
    )

    assert store.stat(key) == StoredObject(key=key, size=len(first), media_type="image/png")
    assert store.sha256(key) == same_digest
    assert read_all(store, key) == first


def test_content_must_match_the_announced_size_and_digest(store: AnyStore, tmp_path: Path) -> None:
    data = os.urandom(1000)
    path, digest = write_file(tmp_path / "page.png", data)
    key = KEY.format(digest=digest)

    with pytest.raises(BlobStoreError, match="SHA-256"):
        store.put_file(key, path, size=len(data), media_type="image/png", sha256="ab" * 32)
    with pytest.raises(BlobStoreError, match="bytes"):
        store.put_file(key, path, size=len(data) + 1, media_type="image/png", sha256=digest)
    with pytest.raises(BlobStoreError, match="hex"):
        store.put_file(key, path, size=len(data), media_type="image/png", sha256="not-a-digest")
    assert store.stat(key) is None


def test_50_mb_file_streams_in_and_out(
    store: AnyStore, make_store: MakeStore, tmp_path: Path
) -> None:
    size = 50 * MB
    path = tmp_path / "big.tif"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(size // MB):
            block = os.urandom(MB)
            digest.update(block)
            out.write(block)
    key = KEY.format(digest=digest.hexdigest())

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        stored = store.put_file(
            key, path, size=size, media_type="image/tiff", sha256=digest.hexdigest()
        )
        put_growth = tracemalloc.get_traced_memory()[1] - before

        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        read_digest = hashlib.sha256()
        read_size = 0
        for chunk in store.read(key):
            read_digest.update(chunk)
            read_size += len(chunk)
        read_growth = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()

    assert stored
    assert store.stat(key) == StoredObject(key=key, size=size, media_type="image/tiff")
    assert (read_size, read_digest.hexdigest()) == (size, digest.hexdigest())
    print(f"{type(store).__name__}: peak growth put {put_growth:,} B, read {read_growth:,} B")
    assert read_growth < size // 10
    if not isinstance(store, InMemoryBlobStore):  # the fake holds the bytes by design
        assert put_growth < size // 4


def test_media_type_and_sha256_are_recorded(
    store: AnyStore, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    data = os.urandom(5000)
    path, digest = write_file(tmp_path / "page.jpg", data)
    key = f"scans/026/reg-1/{digest}.jpg"
    assert store.put_file(key, path, size=len(data), media_type="image/jpeg", sha256=digest)

    stat = store.stat(key)
    assert stat is not None
    assert stat.media_type == "image/jpeg"
    assert store.sha256(key) == digest
    # and as the backend itself holds it:
    if isinstance(store, LocalDirBlobStore):
        file = store.path_of(key)
        meta = json.loads(file.with_name(file.name + ".meta.json").read_text())
        assert (meta["media_type"], meta["sha256"], meta["retained_until"]) == (
            "image/jpeg",
            digest,
            None,
        )
        assert file.stat().st_mode & 0o777 == 0o444
    elif isinstance(store, MinioBlobStore):
        obj = raw_client(s3_server()).stat_object(store.bucket, key)
        assert obj.content_type == "image/jpeg"
        assert obj.metadata is not None
        assert obj.metadata["x-amz-meta-sha256"] == digest


def test_presigned_url_gives_the_bytes(store: AnyStore, tmp_path: Path) -> None:
    data = os.urandom(70_000)
    key = put_bytes(store, tmp_path, data)
    url = store.presigned_get(key, timedelta(minutes=5))

    if isinstance(store, MinioBlobStore):
        with httpx.Client(trust_env=False, timeout=30) as client:
            response = client.get(url)
        assert response.status_code == 200, response.text
        assert response.content == data
    elif isinstance(store, LocalDirBlobStore):
        parsed = urlparse(url)
        assert parsed.scheme == "file"
        assert Path(url2pathname(parsed.path)) == store.path_of(key).absolute()
        assert Path(url2pathname(parsed.path)).read_bytes() == data
    else:
        assert url.startswith("memory://")

    for bad in (timedelta(0), timedelta(days=8)):
        with pytest.raises(BlobStoreError, match="expiry"):
            store.presigned_get(key, bad)


def test_no_retention_by_default(store: AnyStore, tmp_path: Path) -> None:
    key = put_bytes(store, tmp_path, os.urandom(100))
    assert store.retention(key) is None
    store.delete(key)
    assert store.stat(key) is None
    with pytest.raises(BlobStoreError):
        store.read(key)


def test_retained_object_cannot_be_deleted(make_store: MakeStore, tmp_path: Path) -> None:
    store = make_store(retention_days=1)
    data = os.urandom(4096)
    key = put_bytes(store, tmp_path, data)

    retention = store.retention(key)
    assert retention is not None
    assert retention.mode == "GOVERNANCE"
    assert abs(retention.until - (datetime.now(UTC) + timedelta(days=1))) < timedelta(minutes=2)

    with pytest.raises(ObjectLockedError):
        store.delete(key)
    assert store.stat(key) == StoredObject(key=key, size=len(data), media_type="image/png")
    assert read_all(store, key) == data
    assert store.retention(key) == retention


def test_retained_object_cannot_be_overwritten(make_store: MakeStore, tmp_path: Path) -> None:
    store = make_store(retention_days=1)
    original = os.urandom(4096)
    key = put_bytes(store, tmp_path, original)

    forged = os.urandom(4096)
    path, digest = write_file(tmp_path / "forged.png", forged)
    assert not store.put_file(key, path, size=len(forged), media_type="image/png", sha256=digest)
    assert read_all(store, key) == original
    assert store.sha256(key) == hashlib.sha256(original).hexdigest()


BAD_KEYS = [
    "",
    "/scans/026/a.png",
    "scans/../etc/passwd",
    "..",
    "scans/026/..",
    "scans\\026\\a.png",
    "scans//026/a.png",
    "scans/026/",
    "scans/./a.png",
    "scans/026/.hidden",
    "scans/026/a.png.meta.json",
    "scans/026/a\x00.png",
    "scans/" + "a" * 1100,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused(store: AnyStore, tmp_path: Path, key: str) -> None:
    path, digest = write_file(tmp_path / "page.png", b"page")
    with pytest.raises(BlobStoreError, match="blob key"):
        store.put_file(key, path, size=4, media_type="image/png", sha256=digest)
    calls: list[Callable[[], object]] = [
        lambda: store.stat(key),
        lambda: store.read(key),
        lambda: store.presigned_get(key, timedelta(minutes=1)),
        lambda: store.retention(key),
        lambda: store.delete(key),
        lambda: store.sha256(key),
    ]
    for call in calls:
        with pytest.raises(BlobStoreError, match="blob key"):
            call()
    if isinstance(store, LocalDirBlobStore):
        assert not any(p.is_file() for p in tmp_path.rglob("*") if p.name != "page.png")


# ---------------------------------------------------------------- adapter specifics


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_retention_expires_with_the_clock(kind: str, tmp_path: Path) -> None:
    clock = Clock()
    store: LocalDirBlobStore | InMemoryBlobStore
    if kind == "local":
        store = LocalDirBlobStore(tmp_path / "blobs", retention_days=1, now=clock)
    else:
        store = InMemoryBlobStore(retention_days=1, now=clock)
    key = put_bytes(store, tmp_path, b"page")
    assert store.retention(key) is not None

    clock.now += timedelta(hours=23, minutes=59)
    with pytest.raises(ObjectLockedError):
        store.delete(key)
    clock.now += timedelta(minutes=1)
    store.delete(key)
    assert store.stat(key) is None


def test_local_store_files(tmp_path: Path) -> None:
    store = LocalDirBlobStore(tmp_path / "blobs", retention_days=1)
    key = put_bytes(store, tmp_path, b"page bytes")
    file = store.path_of(key)
    assert file == tmp_path / "blobs" / Path(*key.split("/"))
    assert file.read_bytes() == b"page bytes"
    assert sorted(p.name for p in file.parent.iterdir()) == [file.name, file.name + ".meta.json"]
    meta = json.loads(file.with_name(file.name + ".meta.json").read_text())
    until = datetime.fromisoformat(meta["retained_until"])
    assert abs(until - (datetime.now(UTC) + timedelta(days=1))) < timedelta(minutes=2)


def test_s3_server_enforces_object_lock(
    make_minio_store: Callable[..., MinioBlobStore], tmp_path: Path
) -> None:
    """What the server does with a locked object, beneath the adapter.

    The bucket is left on the server: versitygw stamps delete markers with nanoseconds, which
    minio-py cannot parse when listing versions, so the fixture could not empty it (s3.sh starts
    on a fresh data directory anyway).
    """
    store = make_minio_store(retention_days=1, cleanup=False)
    client = raw_client(s3_server())
    original = os.urandom(2048)
    key = put_bytes(store, tmp_path, original)
    version = client.stat_object(store.bucket, key).version_id
    assert version

    # Deleting the locked version itself: refused.
    with pytest.raises(S3Error) as refused:
        client.remove_object(store.bucket, key, version_id=version)
    assert refused.value.code in {"AccessDenied", "ObjectLocked", "InvalidRequest"}

    # A plain delete only hides the object behind a delete marker: the bytes stay.
    client.remove_object(store.bucket, key)
    assert store.stat(key) is None
    response = client.get_object(store.bucket, key, version_id=version)
    try:
        assert response.read() == original
    finally:
        response.close()
        response.release_conn()


def test_s3_errors_become_blob_store_errors(tmp_path: Path) -> None:
    server = s3_server()
    wrong = MinioBlobStore(server.endpoint, server.access_key, "wrong-secret", fresh_bucket_name())
    with pytest.raises(BlobStoreError) as raised:
        wrong.ensure_bucket()
    assert not isinstance(raised.value, ObjectLockedError)
    with pytest.raises(BlobStoreError):
        wrong.stat("scans/026/a.png")

    missing_bucket = MinioBlobStore(
        server.endpoint, server.access_key, server.secret_key, fresh_bucket_name()
    )
    path, digest = write_file(tmp_path / "page.png", b"page")
    with pytest.raises(BlobStoreError, match="NoSuchBucket"):
        missing_bucket.put_file("scans/a.png", path, size=4, media_type="image/png", sha256=digest)


def test_abandoned_reads_release_their_resources(store: AnyStore, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    key = put_bytes(store, tmp_path, data)
    for _ in range(25):  # more than the SDK's connection pool holds
        chunks = store.read(key, chunk_size=1000)
        assert next(chunks) == data[:1000]
        del chunks  # never finished: closing the generator releases the file or connection
        gc.collect()
    unstarted = store.read(key)
    del unstarted
    gc.collect()
    assert read_all(store, key) == data


def test_retention_needs_a_bucket_with_object_lock() -> None:
    server = s3_server()
    client = raw_client(server)
    bucket = fresh_bucket_name()
    client.make_bucket(bucket)  # no object lock
    try:
        store = MinioBlobStore(
            server.endpoint, server.access_key, server.secret_key, bucket, retention_days=1
        )
        with pytest.raises(BlobStoreError, match="ObjectLockConfigurationNotFound"):
            store.ensure_bucket()
    finally:
        client.remove_bucket(bucket)


# ---------------------------------------------------------------- uploads sent as they arrive


def begin(
    store: BlobStore, data: bytes, *, look_first: bool = True, sha256: str | None = None
) -> tuple[str, BlobUpload]:
    digest = hashlib.sha256(data).hexdigest()
    key = KEY.format(digest=digest)
    upload = store.begin_upload(
        key,
        size=len(data),
        media_type="image/png",
        sha256=sha256 or digest,
        look_first=look_first,
    )
    return key, upload


def test_an_upload_is_kept_only_once_committed(store: AnyStore) -> None:
    data = os.urandom(300_000)
    key, upload = begin(store, data)
    for start in range(0, len(data), 64 * 1024):
        upload.write(data[start : start + 64 * 1024])
    assert store.stat(key) is None  # every byte written, none kept yet
    assert upload.commit() is True
    assert read_all(store, key) == data
    assert store.sha256(key) == hashlib.sha256(data).hexdigest()


def test_an_aborted_upload_keeps_nothing(store: AnyStore) -> None:
    data = os.urandom(200_000)
    key, upload = begin(store, data)
    upload.write(data[:-1])
    upload.abort()
    upload.abort()  # idempotent
    assert store.stat(key) is None
    key, again = begin(store, data)  # the key is free for the next try
    again.write(data)
    assert again.commit() is True


@pytest.mark.parametrize("look_first", [True, False])
def test_an_upload_to_a_key_already_held_writes_nothing(
    store: AnyStore, tmp_path: Path, look_first: bool
) -> None:
    data = os.urandom(50_000)
    key = put_bytes(store, tmp_path, data)
    _, upload = begin(store, data, look_first=look_first)
    upload.write(data)
    assert upload.commit() is False
    assert read_all(store, key) == data


def test_bytes_other_than_those_announced_are_never_kept(store: AnyStore) -> None:
    data = os.urandom(100_000)
    forged = bytes([data[0] ^ 1]) + data[1:]
    key, upload = begin(store, data)
    upload.write(forged)  # the S3 server checks the signed payload hash itself
    with pytest.raises(BlobStoreError):
        upload.commit()
    assert store.stat(key) is None
    key, short = begin(store, data)
    short.write(data[:-10])
    with pytest.raises(BlobStoreError):
        short.commit()
    assert store.stat(key) is None
    _, long = begin(store, data)
    with pytest.raises(BlobStoreError):
        long.write(data + b"x")


def test_s3_never_adds_a_version_over_a_key(
    make_minio_store: Callable[..., MinioBlobStore],
) -> None:
    """Two uploads of the same bytes at once (neither sees the other's object first): one is
    kept, the other answered False, and the bucket holds one version."""
    store = make_minio_store()
    data = os.urandom(80_000)
    key, first = begin(store, data, look_first=False)
    _, second = begin(store, data, look_first=False)
    first.write(data)
    second.write(data)
    assert sorted([first.commit(), second.commit()]) == [False, True]
    versions = list(
        raw_client(s3_server()).list_objects(store.bucket, prefix=key, include_version=True)
    )
    assert len(versions) == 1
