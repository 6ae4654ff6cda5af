"""Streaming PUTs to an S3 server: the bytes of one object sent as they arrive, never kept.

One PutObject request per object, its body written as the bytes come (the SDK's clients pull
a body from a file or an iterator; here the upload pushes). The request declares the
object's size and SHA-256 twice: as the signed payload hash (``x-amz-content-sha256``) and as
its checksum (``x-amz-checksum-sha256``, kept with the object), so the server itself refuses
bytes that are not those declared. The last byte is held back until ``commit``: until then
the server holds an unfinished body, and a dropped connection (``abort``, a crash of hotich)
leaves nothing. ``If-None-Match: *`` makes the server refuse to put a second version over an
existing key (412: nothing written).

A scan is a few hundred KB and a book has thousands: the request is signed here (SigV4, its
signing key kept for the day) and its answer parsed by httptools (C), on sockets kept alive
between objects (a small pool; one the server has closed, or idle for ``IDLE_SECONDS``, is
replaced). Every wait is bounded as the SDK's is (``infra.blobs.minio``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

import httptools

from digitization.ports import BlobStoreError, BlobStoreUnavailableError

IDLE_SECONDS = 4.0  # a kept-alive connection idle longer is not reused (servers close them)
POOL_SIZE = 16  # idle connections kept per endpoint
MAX_ANSWER_BYTES = 1 << 20  # an answer to a PUT is a status and perhaps a small XML error
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


class SigV4:
    """AWS Signature Version 4 for S3 requests of one endpoint (headers only, no query)."""

    def __init__(self, endpoint: S3Endpoint) -> None:
        self.endpoint = endpoint
        self._keys: dict[str, bytes] = {}  # day -> signing key

    def authorization(
        self, method: str, path: str, headers: dict[str, str], payload_sha256: str, at: datetime
    ) -> str:
        """The Authorization header of a request whose (lower-case) ``headers`` all signed."""
        day = at.strftime("%Y%m%d")
        names = sorted(headers)
        canonical = "\n".join(
            [
                method,
                path,
                "",
                *(f"{name}:{' '.join(headers[name].split())}" for name in names),
                "",
                ";".join(names),
                payload_sha256,
            ]
        )
        scope = f"{day}/{self.endpoint.region}/s3/aws4_request"
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256",
                headers["x-amz-date"],
                scope,
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        signature = hmac.new(self._key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        return (
            f"AWS4-HMAC-SHA256 Credential={self.endpoint.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )

    def _key(self, day: str) -> bytes:
        key = self._keys.get(day)
        if key is None:
            key = f"AWS4{self.endpoint.secret_key}".encode()
            for part in (day, self.endpoint.region, "s3", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys = {day: key}
        return key


class S3Connections:
    """Kept-alive connections to one endpoint, handed out one request at a time."""

    def __init__(self, endpoint: S3Endpoint) -> None:
        self.endpoint = endpoint
        self.signer = SigV4(endpoint)
        host, _, port = endpoint.host.rpartition(":")
        self._address = (
            host or endpoint.host,
            int(port) if host else (443 if endpoint.secure else 80),
        )
        self._idle: list[tuple[socket.socket, float]] = []
        self._lock = threading.Lock()

    def get(self) -> socket.socket:
        """An idle connection still open, or a new one (connected: BlobStoreUnavailableError
        when the server cannot be reached)."""
        now = time.monotonic()
        while True:
            with self._lock:
                if not self._idle:
                    break
                sock, since = self._idle.pop()
            if now - since < IDLE_SECONDS and _still_open(sock):
                return sock
            sock.close()
        e = self.endpoint
        try:
            sock = socket.create_connection(self._address, timeout=e.connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if e.tls is not None:
                sock = e.tls.wrap_socket(sock, server_hostname=self._address[0])
        except OSError as exc:
            raise self.unavailable(f"connect to {e.host}: {exc}") from exc
        sock.settimeout(e.read_timeout)
        return sock

    def put(self, sock: socket.socket) -> None:
        with self._lock:
            if len(self._idle) < POOL_SIZE:
                self._idle.append((sock, time.monotonic()))
                return
        sock.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sock, _ in idle:
            sock.close()

    def unavailable(self, detail: str) -> BlobStoreUnavailableError:
        return BlobStoreUnavailableError(detail, retry_after=self.endpoint.retry_after)


def _still_open(sock: socket.socket) -> bool:
    """Whether a kept-alive connection is still usable: a readable idle socket has been closed
    by the server (or holds something no request asked for)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


@dataclass
class _Answer:
    """An HTTP answer as httptools parses it."""

    status: int = 0
    body: bytearray = field(default_factory=bytearray)
    headers_done: bool = False
    complete: bool = False

    def on_status(self, status: bytes) -> None:
        """The reason phrase (the code itself comes from the status line below)."""

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, data: bytes) -> None:
        if len(self.body) < MAX_ANSWER_BYTES:
            self.body += data

    def on_message_complete(self) -> None:
        self.complete = True


def read_answer(sock: socket.socket) -> tuple[_Answer, bool]:
    """The server's answer to the request just sent, and whether the connection stays open."""
    answer = _Answer()
    parser = httptools.HttpResponseParser(answer)
    while not answer.complete:
        data = sock.recv(65536)
        if not data:
            if answer.headers_done:  # a body that ends with the connection
                answer.status = parser.get_status_code()
                return answer, False
            raise ConnectionError("the server closed the connection before answering")
        parser.feed_data(data)
        if answer.headers_done:
            answer.status = parser.get_status_code()
    return answer, parser.should_keep_alive()


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
        self._sock: socket.socket | None = connections.get()
        try:
            self._sock.sendall(self._head(now()))
        except OSError as exc:
            self._fail(exc)

    def _head(self, at: datetime) -> bytes:
        r = self._request
        e = self._connections.endpoint
        path = f"/{r.bucket}/{quote(r.key, safe='/~')}"
        headers = {
            "host": e.host,
            "content-length": str(r.size),
            "content-type": r.media_type,
            "if-none-match": "*",
            "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(r.sha256)).decode(),
            "x-amz-content-sha256": r.sha256,
            "x-amz-date": at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
            **{f"x-amz-meta-{name.lower()}": value for name, value in r.metadata.items()},
        }
        if r.retention is not None:
            mode, until = r.retention
            headers["x-amz-object-lock-mode"] = mode
            headers["x-amz-object-lock-retain-until-date"] = until.astimezone(UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            )
        authorization = self._connections.signer.authorization("PUT", path, headers, r.sha256, at)
        lines = [f"PUT {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
        lines.append(f"authorization: {authorization}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def write(self, data: bytes | memoryview) -> None:
        """Send the bytes; the object's very last byte is held back for ``commit``."""
        sock = self._sock
        if sock is None:
            raise BlobStoreError(f"{self.key}: the upload is over")
        size = self._request.size
        if self._sent + len(self._held) + len(data) > size:
            self.abort()
            raise BlobStoreError(f"{self.key}: more than the announced {size} bytes")
        view = memoryview(data)
        if self._sent + len(view) == size:  # the end: hold its last byte
            view, self._held = view[:-1], bytes(view[-1:])
        try:
            sock.sendall(view)
        except OSError as exc:
            self._fail(exc)
        self._sent += len(view)

    def commit(self) -> bool:
        """Send the held-back byte and read the answer: True (stored), False (the key holds an
        object already); BlobStoreError when the server refused the bytes."""
        sock, self._sock = self._sock, None
        if sock is None:
            raise BlobStoreError(f"{self.key}: the upload is over")
        if self._sent + len(self._held) != self._request.size:
            sock.close()
            got = self._sent + len(self._held)
            raise BlobStoreError(f"{self.key}: {got} bytes, not the announced {self._request.size}")
        try:
            if self._held:
                sock.sendall(self._held)
            answer, keep = read_answer(sock)
        except (OSError, httptools.HttpParserError) as exc:
            sock.close()
            raise self._connections.unavailable(
                f"upload {self.key}: {type(exc).__name__}: {exc}"
            ) from exc
        if keep:
            self._connections.put(sock)
        else:
            sock.close()
        if answer.status == 200:
            return True
        if answer.status == 412:  # If-None-Match: the key holds an object already
            return False
        raise self._error(answer.status, bytes(answer.body))

    def abort(self) -> None:
        """Drop the connection with the body unfinished: the server keeps nothing."""
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def _fail(self, exc: OSError) -> None:
        """A send failed: the server's own answer when it gave one (it refused early), else
        the server is unavailable."""
        sock, self._sock = self._sock, None
        assert sock is not None
        detail = f"upload {self.key}: {type(exc).__name__}: {exc}"
        try:
            sock.settimeout(0.5)  # an early refusal is there already, or not at all
            answer, _ = read_answer(sock)
        except (OSError, httptools.HttpParserError):
            raise self._connections.unavailable(detail) from exc
        finally:
            sock.close()
        raise self._error(answer.status, bytes(answer.body)) from exc

    def _error(self, status: int, body: bytes) -> BlobStoreError:
        found = _ERROR_CODE.search(body)
        code = found.group(1).decode("ascii", "replace") if found else f"HTTP {status}"
        detail = f"upload {self.key}: {code}"
        if code in _MISMATCH_CODES:
            return BlobStoreError(f"{detail}: the bytes are not the size and SHA-256 announced")
        if status >= 500 or code in UNAVAILABLE_CODES:
            return self._connections.unavailable(detail)
        return BlobStoreError(detail)
