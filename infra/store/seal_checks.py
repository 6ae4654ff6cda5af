"""Check each stored envelope's hash and signature before a projection applies it.

An envelope that fails is quarantined: logged, counted, and not applied (the runner moves on,
so one bad event does not stop the views). Chain continuity per aggregate is checked by
`hotich verify` and by the Kafka consumers (infra/messaging/consumer.py).

The check costs about 130 µs an event, most of it the Ed25519 verification, which holds the
GIL: :class:`SealChecker` can run it in worker processes (``workers``) on a batch of
notifications while the caller applies the previous one.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Cipher, Compressor, MapperDeserialisationError, Notification

from infra.signing.keyring import PublicKeySet
from infra.store.envelope import EnvelopeError, check_seal
from infra.store.mapper import SignedEnvelopeMapper, unopenable
from projections.envelope import Envelope

log = logging.getLogger(__name__)

# What a stored envelope that fails its checks raises (the reason it is quarantined).
CHECK_ERRORS = (MapperDeserialisationError, EnvelopeError, KeyError, TypeError, ValueError)


def sealed_envelope(data: object, keys: PublicKeySet, *, raw: bytes | None = None) -> Envelope:
    """The envelope if its hash matches and a published key signed it, else EnvelopeError.
    ``raw``: the JSON ``data`` was parsed from, if at hand (see check_seal)."""
    if not isinstance(data, dict):
        raise EnvelopeError("an envelope must be a JSON object")
    check_seal(data, keys, raw=raw)
    return Envelope.from_json(data)


def sealed_json(raw: bytes, keys: PublicKeySet) -> Envelope:
    """The envelope in the JSON ``raw`` if its hash matches and a published key signed it."""
    return sealed_envelope(json.loads(raw), keys, raw=raw)


def _opened(
    notification: Notification, cipher: Cipher | None, compressor: Compressor | None
) -> bytes:
    data: Any = notification.state
    try:
        if cipher:
            data = cipher.decrypt(data)
        if compressor:
            data = compressor.decompress(data)
    except Exception as e:  # the cipher raises several types for changed bytes
        raise unopenable(notification, e) from e
    return bytes(data)


def envelope_json(mapper: SignedEnvelopeMapper, notification: Notification) -> bytes:
    """The envelope's JSON as sealed: the stored bytes decrypted (and decompressed)."""
    return _opened(notification, mapper.cipher, mapper.compressor)


# ----- worker processes -------------------------------------------------------------------------
_worker: tuple[Cipher | None, Compressor | None, PublicKeySet] | None = None
Checked = Envelope | str  # the checked envelope, or why it failed


def _init_worker(
    cipher: Cipher | None, compressor: Compressor | None, keys: dict[str, Any]
) -> None:
    global _worker
    _worker = (cipher, compressor, PublicKeySet.from_json(keys))


def _check_stored_in_worker(notifications: list[Notification]) -> list[Checked]:
    assert _worker is not None
    cipher, compressor, keys = _worker
    checked: list[Checked] = []
    for notification in notifications:
        try:
            checked.append(sealed_json(_opened(notification, cipher, compressor), keys))
        except CHECK_ERRORS as e:
            checked.append(str(e) or type(e).__name__)
    return checked


def _check_json_in_worker(values: list[bytes]) -> list[Checked]:
    assert _worker is not None
    keys = _worker[2]
    checked: list[Checked] = []
    for value in values:
        try:
            checked.append(sealed_json(value, keys))
        except CHECK_ERRORS as e:
            checked.append(str(e) or type(e).__name__)
    return checked


class SealCheckWorkers:
    """Worker processes that check seals, started on first use and stopped by :meth:`close`
    (spawned, not forked: the caller may be a server with threads, and their locks, running)."""

    def __init__(
        self,
        count: int,
        keys: PublicKeySet,
        cipher: Cipher | None = None,
        compressor: Compressor | None = None,
    ) -> None:
        self.count = count
        self._initargs = (cipher, compressor, keys.to_json())
        self._pool: ProcessPoolExecutor | None = None

    def submit(
        self, notifications: Sequence[Notification], chunk: int
    ) -> Callable[[], list[Checked]]:
        """Start checking stored notifications, ``chunk`` at a time; the function returned
        waits for the outcomes, in order."""
        futures = self._submit(_check_stored_in_worker, notifications, chunk)
        return lambda: [checked for future in futures for checked in future.result()]

    def submit_json(self, values: Sequence[bytes], chunk: int) -> list[Callable[[], list[Checked]]]:
        """Start checking envelopes' JSON, ``chunk`` at a time (the first chunks are checked
        first); one function a chunk waits for its outcomes."""
        return [future.result for future in self._submit(_check_json_in_worker, values, chunk)]

    def _submit(
        self, check: Callable[[list[Any]], list[Checked]], items: Sequence[Any], chunk: int
    ) -> list[Future[list[Checked]]]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.count,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=self._initargs,
            )
        pool = self._pool
        return [pool.submit(check, list(items[i : i + chunk])) for i in range(0, len(items), chunk)]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


@dataclass
class SealChecker:
    """Decodes notifications into checked envelopes; counts what it quarantines.

    With ``workers`` > 0, :meth:`submit` checks batches in that many worker processes (started
    on first use, stopped by :meth:`close`); else in the caller's thread when asked for them.
    """

    mapper: SignedEnvelopeMapper
    keys: PublicKeySet
    quarantined: list[tuple[int, str]] = field(default_factory=list)
    workers: int = 0
    _pool: SealCheckWorkers | None = field(default=None, init=False, repr=False)

    def __call__(self, notification: Notification) -> Envelope | None:
        try:
            return sealed_json(envelope_json(self.mapper, notification), self.keys)
        except CHECK_ERRORS as e:
            self._quarantine(notification, str(e))
            return None

    def _quarantine(self, notification: Notification, reason: str) -> None:
        log.error("quarantined notification %s: %s", notification.id, reason)
        self.quarantined.append((notification.id, reason))

    def submit(self, notifications: Sequence[Notification]) -> Callable[[], list[Envelope | None]]:
        """Start checking ``notifications``; the returned function waits for their envelopes
        (None for one quarantined), in order."""
        if self.workers <= 0 or not notifications:
            return lambda: [self(n) for n in notifications]
        if self._pool is None:
            self._pool = SealCheckWorkers(
                self.workers, self.keys, self.mapper.cipher, self.mapper.compressor
            )
        outcomes = self._pool.submit(notifications, -(-len(notifications) // self.workers))

        def result() -> list[Envelope | None]:
            envelopes: list[Envelope | None] = []
            for notification, checked in zip(notifications, outcomes(), strict=True):
                if isinstance(checked, str):
                    self._quarantine(notification, checked)
                    envelopes.append(None)
                else:
                    envelopes.append(checked)
            return envelopes

        return result

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
