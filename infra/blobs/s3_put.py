"""Streaming PUTs to an S3 server: the bytes of one object sent as they arrive, never kept.

One PutObject request per object, its body written as the bytes come (``http.client``: the
SDK's clients pull a body from a file or an iterator; here the upload pushes). The request
declares the object's size and SHA-256 twice: as the signed payload hash
(``x-amz-content-sha256``) and as its checksum (``x-amz-checksum-sha256``, kept with the
object), so the server itself refuses bytes that are not those declared. The last byte is
held back until ``commit``: until then the server holds an unfinished body, and a dropped
connection (``abort``, a crash of hotich) leaves nothing. ``If-None-Match: *`` makes the
server refuse to put a second version over an existing key (412: nothing written).

Connections are kept alive between objects (a small pool; one the server has closed, or idle
for ``IDLE_SECONDS``, is replaced). Every wait is bounded as the SDK's is (``infra.blobs.minio``).
"""

from __future__ import annotations

import base64
import http.client
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import SplitResult

from minio import time as s3_time
from minio.credentials.credentials import Credentials
from minio.helpers import DictType, quote
from minio.signer import sign_v4_s3

from digitization.ports import BlobStoreError, BlobStoreUnavailableError

IDLE_SECONDS = 4.0  # a kept-alive connection idle longer is not reused (servers close them)
POOL_SIZE = 16  # idle connections kept per endpoint
_ERROR_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")
# S3 error codes of a server that cannot serve now (5xx): the same request may succeed later
UNAVAILABLE_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"})
_MISMATCH_CODES = frozenset({"XAmzContentSHA256Mismatch", "BadDigest", "IncompleteBody"})


@dataclass(frozen=True)
class S3Endpoint:
    """Where and as whom to send: host:port, TLS, region and static credentials."""

    host: str
    secure: bool
    region: str
    access_key: str
    secret_key: str
    connect_timeout: float
    read_timeout: float
    retry_after: int
    tls: ssl.SSLContext | None = None


class S3Connections:
    """Kept-alive HTTP(S) connections to one endpoint, handed out one request at a time."""

    def __init__(self, endpoint: S3Endpoint) -> None:
        self.endpoint = endpoint
        self._idle: list[tuple[http.client.HTTPConnection, float]] = []
        self._lock = threading.Lock()

    def get(self) -> http.client.HTTPConnection:
        """An idle connection still open, or a new one (connected: BlobStoreUnavailableError
        when the server cannot be reached)."""
        now = time.monotonic()
        while True:
            with self._lock:
                if not self._idle:
                    break
                conn, since = self._idle.pop()
            if now - since < IDLE_SECONDS and _still_open(conn):
                return conn
            conn.close()
        e = self.endpoint
        conn = (
            http.client.HTTPSConnection(e.host, timeout=e.connect_timeout, context=e.tls)
            if e.secure
            else http.client.HTTPConnection(e.host, timeout=e.connect_timeout)
        )
        try:
            conn.connect()
        except OSError as exc:
            conn.close()
            raise self.unavailable(f"connect to {e.host}: {exc}") from exc
        assert conn.sock is not None
        conn.sock.settimeout(e.read_timeout)
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def put(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < POOL_SIZE:
                self._idle.append((conn, time.monotonic()))
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()

    def unavailable(self, detail: str) -> BlobStoreUnavailableError:
        return BlobStoreUnavailableError(detail, retry_after=self.endpoint.retry_after)


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """Whether a kept-alive connection is still usable: a readable idle socket has been closed
    by the server (or holds something no request asked for)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


@dataclass(frozen=True)
class PutRequest:
    """The object: where it goes and what it must be."""

    bucket: str
    key: str
    size: int
    media_type: str
    sha256: str
    metadata: dict[str, str]
    retention: tuple[str, datetime] | None  # (mode, retain until)


class S3StreamedPut:
    """One object's PutObject, its body sent as ``write`` is called (see the module)."""

    def __init__(
        self,
        connections: S3Connections,
        request: PutRequest,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._connections = connections
        self._request = request
        self.key = request.key
        self._sent = 0
        self._held = b""  # the object's last byte, sent by commit
        self._conn: http.client.HTTPConnection | None = connections.get()
        try:
            self._send_head(now())
        except OSError as exc:
            self._fail(f"upload {request.key}: {type(exc).__name__}: {exc}", exc)

    def _send_head(self, date: datetime) -> None:
        r = self._request
        e = self._connections.endpoint
        path = f"/{r.bucket}/{quote(r.key)}"
        url = SplitResult("https" if e.secure else "http", e.host, path, "", "")
        headers: DictType = {
            "Host": e.host,
            "Content-Length": str(r.size),
            "Content-Type": r.media_type,
            "If-None-Match": "*",
            "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(r.sha256)).decode(),
            "x-amz-content-sha256": r.sha256,
            "x-amz-date": s3_time.to_amz_date(date),
            **{f"x-amz-meta-{name}": value for name, value in r.metadata.items()},
        }
        if r.retention is not None:
            mode, until = r.retention
            headers["x-amz-object-lock-mode"] = mode
            headers["x-amz-object-lock-retain-until-date"] = str(s3_time.to_iso8601utc(until))
        headers = sign_v4_s3(
            method="PUT",
            url=url,
            region=e.region,
            headers=headers,
            credentials=Credentials(e.access_key, e.secret_key),
            content_sha256=r.sha256,
            date=date,
        )
        conn = self._conn
        assert conn is not None
        conn.putrequest("PUT", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, *([value] if isinstance(value, str) else value))
        conn.endheaders()

    def write(self, data: bytes | memoryview) -> None:
        """Send the bytes; the object's very last byte is held back for ``commit``."""
        conn = self._conn
        if conn is None:
            raise BlobStoreError(f"{self.key}: the upload is over")
        size = self._request.size
        if self._sent + len(self._held) + len(data) > size:
            self.abort()
            raise BlobStoreError(f"{self.key}: more than the announced {size} bytes")
        view = memoryview(data)
        if self._sent + len(view) == size:  # the end: hold its last byte
            view, self._held = view[:-1], bytes(view[-1:])
        try:
            conn.send(view)
        except OSError as exc:
            self._fail(f"upload {self.key}: {type(exc).__name__}: {exc}", exc)
        self._sent += len(view)

    def commit(self) -> bool:
        """Send the held-back byte and read the answer: True (stored), False (the key holds an
        object already); BlobStoreError when the server refused the bytes."""
        conn, self._conn = self._conn, None
        if conn is None:
            raise BlobStoreError(f"{self.key}: the upload is over")
        if self._sent + len(self._held) != self._request.size:
            conn.close()
            got = self._sent + len(self._held)
            raise BlobStoreError(f"{self.key}: {got} bytes, not the announced {self._request.size}")
        try:
            if self._held:
                conn.send(self._held)
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise self._connections.unavailable(
                f"upload {self.key}: {type(exc).__name__}: {exc}"
            ) from exc
        if response.will_close:
            conn.close()
        else:
            self._connections.put(conn)
        if response.status == 200:
            return True
        if response.status == 412:  # If-None-Match: the key holds an object already
            return False
        raise self._error(response.status, body)

    def abort(self) -> None:
        """Drop the connection with the body unfinished: the server keeps nothing."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _fail(self, detail: str, exc: OSError) -> None:
        """A send failed: the server's own answer when it gave one (it refused early), else
        the server is unavailable."""
        conn, self._conn = self._conn, None
        assert conn is not None
        try:
            if conn.sock is not None:
                conn.sock.settimeout(0.5)  # an early refusal is there already, or not at all
            response = conn.getresponse()
            status, body = response.status, response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            raise self._connections.unavailable(detail) from exc
        conn.close()
        raise self._error(status, body) from exc

    def _error(self, status: int, body: bytes) -> BlobStoreError:
        found = _ERROR_CODE.search(body)
        code = found.group(1).decode("ascii", "replace") if found else f"HTTP {status}"
        detail = f"upload {self.key}: {code}"
        if code in _MISMATCH_CODES:
            return BlobStoreError(f"{detail}: the bytes are not the size and SHA-256 announced")
        if status >= 500 or code in UNAVAILABLE_CODES:
            return self._connections.unavailable(detail)
        return BlobStoreError(detail)
