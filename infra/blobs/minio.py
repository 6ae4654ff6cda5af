"""Blob store in an S3-compatible bucket (MinIO in production), on the ``minio`` SDK.

The bucket is created with object lock (which implies versioning). New objects get the configured
retention; the server then refuses to delete the locked version. Every SDK or HTTP failure comes
out as BlobStoreError (ObjectLockedError when the server refuses a delete), and a server that
cannot be reached, does not answer in time or answers 5xx as BlobStoreUnavailableError (the
API answers 503): every wait is bounded (``CONNECT_TIMEOUT``, ``READ_TIMEOUT``, ``RETRIES``),
where the SDK's own client waits 5 minutes a read and retries 5 times (6 s with the server
down).
"""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.datatypes import Object
from minio.error import MinioException, S3Error, ServerError
from minio.retention import Retention as S3Retention
from urllib3.util import Retry, Timeout

from digitization.ports import (
    BlobStoreError,
    BlobStoreUnavailableError,
    ObjectLockedError,
    Retention,
    StoredObject,
)
from infra.blobs.rules import (
    check_chunk_size,
    check_content,
    check_expiry,
    check_key,
    check_retention_days,
    check_sha256,
    hash_file,
    utc_now,
)
from infra.blobs.s3_put import (
    UNAVAILABLE_CODES,
    PutRequest,
    S3Connections,
    S3Endpoint,
    S3StreamedPut,
)
from infra.blobs.uploads import KeptAlready, copy_file_into

SHA256_METADATA = "sha256"
"""User metadata name of the digest (``x-amz-meta-sha256`` on the wire)."""

UPLOAD_PART_SIZE = 5 * 1024 * 1024
"""Multipart part size (the S3 minimum) of a file over ``MAX_PUT_BYTES``: the SDK holds a part
or two in memory while uploading, so parts go one at a time, small, to keep memory flat."""
MAX_PUT_BYTES = 5 * 1024**3
"""The largest object one PutObject may carry (S3's limit); larger files go in parts."""

_ABSENT = frozenset({"NoSuchKey", "NoSuchVersion"})
_NO_LOCK = frozenset({"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"})
_LOCKED = frozenset({"AccessDenied", "ObjectLocked", "InvalidRequest"})
_BUCKET_EXISTS = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})
_UNAVAILABLE = UNAVAILABLE_CODES

CONNECT_TIMEOUT = 2.0
"""Seconds to open a connection to the server (a refused connection fails at once)."""
READ_TIMEOUT = 30.0
"""Seconds the server may stay silent on an open connection (e.g. storing a 5 MB part)."""
RETRIES = 2
"""Retries of a failed request (a refused connection, a 5xx), 0.4 s apart at most: with the
server down, a request fails in under a second rather than the SDK's 6 s."""
RETRY_AFTER = 5
"""Seconds a client is told to wait before retrying when the server is unavailable."""


def _ca_file() -> str:
    return os.environ.get("SSL_CERT_FILE") or certifi.where()


def http_client(*, secure: bool) -> urllib3.PoolManager:
    """The SDK's HTTP client, with bounded waits and few retries (see the constants)."""
    return urllib3.PoolManager(
        timeout=Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
        maxsize=10,
        cert_reqs="CERT_REQUIRED" if secure else "CERT_NONE",
        ca_certs=_ca_file(),
        retries=Retry(
            total=RETRIES,
            connect=RETRIES,
            read=1,
            backoff_factor=0.2,
            status_forcelist=[500, 502, 503, 504],
            raise_on_status=False,  # the last answer goes to the SDK, which reads its error
        ),
    )


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn SDK, HTTP and argument errors into BlobStoreError naming ``what`` failed:
    BlobStoreUnavailableError when the server could not be reached or answered 5xx."""
    try:
        yield
    except S3Error as exc:
        if exc.code in _UNAVAILABLE:
            raise BlobStoreUnavailableError(
                f"{what}: {exc.code}: {exc.message}", retry_after=RETRY_AFTER
            ) from exc
        raise BlobStoreError(f"{what}: {exc.code}: {exc.message}") from exc
    except (ServerError, urllib3.exceptions.HTTPError, ConnectionError) as exc:
        raise BlobStoreUnavailableError(
            f"{what}: {type(exc).__name__}: {exc}", retry_after=RETRY_AFTER
        ) from exc
    except (MinioException, ValueError, OSError) as exc:
        raise BlobStoreError(f"{what}: {type(exc).__name__}: {exc}") from exc


class MinioBlobStore:
    """Objects in ``bucket`` on an S3-compatible server; existing keys are never overwritten.

    ``retention_days`` > 0 uploads each object with an object-lock retention of that many days
    in ``retention_mode`` (GOVERNANCE or COMPLIANCE); the bucket must have object lock enabled
    (``ensure_bucket`` creates it so).
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        region: str = "us-east-1",
        secure: bool = False,
        retention_mode: str = GOVERNANCE,
        retention_days: int = 0,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        if retention_mode not in (GOVERNANCE, COMPLIANCE):
            raise ValueError(f"retention_mode must be GOVERNANCE or COMPLIANCE: {retention_mode!r}")
        self.bucket = bucket
        self.region = region
        self.retention_mode = retention_mode
        self.retention_days = check_retention_days(retention_days)
        self._now = now
        self._connections = S3Connections(
            S3Endpoint(
                host=endpoint,
                secure=secure,
                region=region,
                access_key=access_key,
                secret_key=secret_key,
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retry_after=RETRY_AFTER,
                tls=ssl.create_default_context(cafile=_ca_file()) if secure else None,
            )
        )
        with _translated(f"connect to {endpoint}"):
            self._client = Minio(
                endpoint,
                access_key=access_key,
                secret_key=secret_key,
                region=region,
                secure=secure,
                http_client=http_client(secure=secure),
            )

    def ensure_bucket(self) -> None:
        """Create the bucket with object lock enabled when absent.

        With ``retention_days`` > 0, an existing bucket must have object lock enabled
        (BlobStoreError otherwise: retained uploads would be refused).
        """
        with _translated(f"create bucket {self.bucket}"):
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket, object_lock=True)
                except S3Error as exc:
                    if exc.code not in _BUCKET_EXISTS:
                        raise
        if self.retention_days:
            # Without object lock: S3Error ObjectLockConfigurationNotFoundError -> BlobStoreError.
            # versitygw answers <ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule></Rule> (no
            # default retention), which minio-py fails to parse (ValueError); a configuration is
            # only returned when object lock is enabled, so that answer is fine.
            with (
                _translated(f"object lock configuration of bucket {self.bucket}"),
                contextlib.suppress(ValueError),
            ):
                self._client.get_object_lock_config(self.bucket)

    def ping(self) -> None:
        """Raise BlobStoreError (BlobStoreUnavailableError: unreachable) unless the server
        answers that the bucket exists."""
        with _translated(f"bucket {self.bucket}"):
            if not self._client.bucket_exists(self.bucket):
                raise BlobStoreError(f"bucket {self.bucket}: does not exist")

    # ------------------------------------------------------------ helpers

    def _stat(self, key: str) -> Object | None:
        check_key(key)
        with _translated(f"stat {key}"):
            try:
                return self._client.stat_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in _ABSENT:
                    return None
                raise

    # ------------------------------------------------------------ BlobStore

    def put_file(self, key: str, path: Path, *, size: int, media_type: str, sha256: str) -> bool:
        """Upload the file under ``key``; False (nothing written) if the key already exists.

        The server checks the bytes against ``size`` and ``sha256`` (BlobStoreError on a
        mismatch); the digest is kept as user metadata and checksum, with the configured
        retention. A file over ``MAX_PUT_BYTES`` goes in parts, checked here first.
        """
        if size > MAX_PUT_BYTES:
            return self._put_in_parts(key, path, size=size, media_type=media_type, sha256=sha256)
        upload = self.begin_upload(key, size=size, media_type=media_type, sha256=sha256)
        return copy_file_into(upload, key, path)

    def begin_upload(
        self, key: str, *, size: int, media_type: str, sha256: str, look_first: bool = True
    ) -> S3StreamedPut | KeptAlready:
        """One PutObject of ``size`` bytes, sent as they are written (infra.blobs.s3_put): the
        server checks the declared SHA-256, keeps nothing before ``commit``, and never adds a
        version to a key that holds one (If-None-Match)."""
        check_key(key)
        check_sha256(sha256)
        if size > MAX_PUT_BYTES:
            raise BlobStoreError(f"{key}: over {MAX_PUT_BYTES} bytes: send it with put_file")
        if look_first and self._stat(key) is not None:
            return KeptAlready()  # else If-None-Match: the server refuses to add a version
        retention = None
        if self.retention_days:
            until = self._now() + timedelta(days=self.retention_days)
            retention = (self.retention_mode, until.astimezone(UTC))
        request = PutRequest(
            bucket=self.bucket,
            key=key,
            size=size,
            media_type=media_type,
            sha256=sha256,
            metadata={SHA256_METADATA: sha256},
            retention=retention,
        )
        return S3StreamedPut(self._connections, request, now=self._now)

    def _put_in_parts(
        self, key: str, path: Path, *, size: int, media_type: str, sha256: str
    ) -> bool:
        if self._stat(key) is not None:
            return False
        try:
            actual_size, actual_sha = hash_file(Path(path))
        except OSError as exc:
            raise BlobStoreError(f"{key}: cannot read {path}: {exc}") from exc
        check_content(key, size=size, sha256=sha256, actual_size=actual_size, actual_sha=actual_sha)
        retention = None
        if self.retention_days:
            until = self._now() + timedelta(days=self.retention_days)
            retention = S3Retention(self.retention_mode, until.astimezone(UTC))
        with _translated(f"upload {key}"):
            self._client.fput_object(
                self.bucket,
                key,
                str(path),
                content_type=media_type,
                metadata={SHA256_METADATA: sha256},
                retention=retention,
                part_size=UPLOAD_PART_SIZE,
                num_parallel_uploads=1,
            )
        return True

    def stat(self, key: str) -> StoredObject | None:
        """Size and media type of the object, or None when absent."""
        obj = self._stat(key)
        if obj is None:
            return None
        return StoredObject(
            key=key,
            size=obj.size or 0,
            media_type=obj.content_type or "application/octet-stream",
        )

    def sha256(self, key: str) -> str | None:
        """The SHA-256 recorded with the object (user metadata), or None when absent."""
        obj = self._stat(key)
        if obj is None or obj.metadata is None:
            return None
        value = obj.metadata.get(f"x-amz-meta-{SHA256_METADATA}")
        return str(value) if value is not None else None

    def read(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Stream the object (raises BlobStoreError at once when absent).

        The connection goes back to the pool when the iteration ends or the iterator is closed.
        """
        check_chunk_size(chunk_size)
        obj = self._stat(key)
        if obj is None:
            raise BlobStoreError(f"{key}: no such object")
        return self._stream(key, obj.version_id, chunk_size)

    def _stream(self, key: str, version_id: str | None, chunk_size: int) -> Iterator[bytes]:
        with _translated(f"read {key}"):
            response = self._client.get_object(self.bucket, key, version_id=version_id)
            try:
                yield from response.stream(chunk_size)
            finally:
                response.close()
                response.release_conn()

    def presigned_get(self, key: str, expires: timedelta) -> str:
        """A presigned GET URL valid for ``expires`` (1 s to 7 days); signed locally."""
        check_key(key)
        check_expiry(expires)
        with _translated(f"presign {key}"):
            return self._client.presigned_get_object(self.bucket, key, expires=expires)

    def retention(self, key: str) -> Retention | None:
        """The object's lock retention; None when absent or not retained."""
        check_key(key)
        with _translated(f"retention of {key}"):
            try:
                found = self._client.get_object_retention(self.bucket, key)
            except S3Error as exc:
                if exc.code in _ABSENT | _NO_LOCK:
                    return None
                raise
        if found is None:
            return None
        until = found.retain_until_date
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        return Retention(mode=found.mode, until=until)

    def delete(self, key: str) -> None:
        """Delete the object's current version; absent: no-op.

        The version itself is deleted (a plain delete in a versioned bucket would only add a
        delete marker and keep the bytes), so the server's object lock decides: a refusal
        (AccessDenied, ObjectLocked, InvalidRequest) raises ObjectLockedError.
        """
        obj = self._stat(key)
        if obj is None:
            return
        with _translated(f"delete {key}"):  # lets ObjectLockedError through
            try:
                self._client.remove_object(self.bucket, key, version_id=obj.version_id)
            except S3Error as exc:
                if exc.code in _LOCKED:
                    raise ObjectLockedError(
                        f"{key}: the server refused the delete: {exc.code}: {exc.message}"
                    ) from exc
                raise
