"""Sign a batch of event hashes on a second thread while the caller hashes the next events.

Ed25519 signing in `cryptography` runs without holding the GIL, so while the caller's Python
code builds and hashes envelopes, a background thread signs the hashes already made, on the
other core. Small batches (a single save) are signed in the caller's thread.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from infra.signing.keyring import EventSigner

CHUNK = 16


class SigningPipeline:
    """One background signing thread, shared by every batch of one event store."""

    def __init__(self, signer: EventSigner) -> None:
        self.signer = signer
        self._pool: ThreadPoolExecutor | None = None

    def batch(self) -> SigningBatch:
        return SigningBatch(self)

    def submit(self, messages: list[bytes]) -> Future[list[bytes]]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotich-sign")
        return self._pool.submit(self.sign_all, messages)

    def sign_all(self, messages: list[bytes]) -> list[bytes]:
        sign = self.signer.sign
        return [sign(m) for m in messages]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class SigningBatch:
    """Collects the hashes of one batch in order; full chunks go to the signing thread."""

    def __init__(self, pipeline: SigningPipeline) -> None:
        self._pipeline = pipeline
        self._futures: list[Future[list[bytes]]] = []
        self._pending: list[bytes] = []

    def add(self, message: bytes) -> None:
        self._pending.append(message)
        if len(self._pending) == CHUNK:
            self._futures.append(self._pipeline.submit(self._pending))
            self._pending = []

    def signatures(self) -> list[bytes]:
        """Every signature, in the order the messages were added."""
        tail = self._pipeline.sign_all(self._pending)
        signed = [s for future in self._futures for s in future.result()]
        return signed + tail
