"""Open each stored or relayed envelope once and check it before a projection applies it.

Opening is decrypting (at rest), parsing, and checking that the content hashes to the stated
hash. What vouches for that hash is then either the verifiable log or the event's signature:

* a **run** of the log's leaves checked against a signed checkpoint (infra/tlog/runs.py): an
  event whose leaf hash is among them is the log's, and one signature (the checkpoint's) vouches
  for the whole run;
* else (the live tail past the newest checkpoint, a store without a log) the event's own
  Ed25519 signature, checked with libsodium.

An envelope that fails is quarantined: logged, counted, and not applied (the runner moves on,
so one bad event does not stop the views, and a bad event inside a checked run does not stop
the rest of the run). Chain continuity per aggregate is checked by `hotich verify` and by the
Kafka consumers (infra/messaging/consumer.py).

:class:`SealChecker` can open batches in worker processes (``workers``) while the caller applies
the previous one; what is worth it then is the signatures of the live tail (they hold no lock
of ours, but a worker's core is free of the runner's Python).
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import Cipher, Compressor, MapperDeserialisationError

from infra.signing.keyring import PublicKeySet
from infra.store.envelope import EnvelopeError, check_hash, check_signature
from infra.store.mapper import SignedEnvelopeMapper, unopenable
from infra.store.notifications import Stored
from projections.envelope import Envelope

log = logging.getLogger(__name__)

# What a stored envelope that fails its checks raises (the reason it is quarantined).
CHECK_ERRORS = (MapperDeserialisationError, EnvelopeError, KeyError, TypeError, ValueError)
QUARANTINES_KEPT = 100  # the latest quarantines a checker keeps by name; older ones are counted

_LEAF = b"\x00"


def leaf_hash_of(digest: str) -> bytes:
    """The log's Merkle leaf hash of an event whose hash is ``digest`` (hex)."""
    return hashlib.sha256(_LEAF + bytes.fromhex(digest)).digest()


def parse_envelope(raw: bytes) -> dict[str, Any]:
    data = orjson.loads(raw)
    if not isinstance(data, dict):
        raise EnvelopeError("an envelope must be a JSON object")
    return data


def sealed_envelope(data: object, keys: PublicKeySet, *, raw: bytes | None = None) -> Envelope:
    """The envelope if its hash matches and a published key signed it, else EnvelopeError.
    ``raw``: the JSON ``data`` was parsed from, if at hand (see check_hash)."""
    if not isinstance(data, dict):
        raise EnvelopeError("an envelope must be a JSON object")
    check_hash(data, raw)
    check_signature(data, keys)
    return Envelope.from_json(data)


def checked_json(raw: bytes, keys: PublicKeySet, leaves: Collection[bytes] = ()) -> Envelope:
    """The envelope in the JSON ``raw`` if its hash matches its content and either its leaf
    hash is among ``leaves`` (checked against a signed checkpoint) or a published key signed
    it; else EnvelopeError (or the parser's ValueError)."""
    data = parse_envelope(raw)
    check_hash(data, raw)
    if not leaves or leaf_hash_of(data["hash"]) not in leaves:
        check_signature(data, keys)
    return Envelope.from_json(data)


def sealed_json(raw: bytes, keys: PublicKeySet) -> Envelope:
    """The envelope in the JSON ``raw`` if its hash matches and a published key signed it."""
    return checked_json(raw, keys)


# ----- opening what is stored -------------------------------------------------------------------
Decrypt = Callable[[bytes], bytes]


def decryptor(cipher: Cipher | None) -> Decrypt | None:
    """The cipher's decrypt; eventsourcing's AES-GCM one with its key set up once (it sets it up
    on every call: 3.9 µs rather than 1.6 µs an envelope)."""
    if not isinstance(cipher, AESCipher):
        return None if cipher is None else cipher.decrypt
    aesgcm = AESGCM(cipher.key)

    def decrypt(data: bytes) -> bytes:
        if len(data) < 28:  # the nonce and the tag
            raise ValueError("Damaged cipher text: too short")
        try:  # stored as nonce (12 bytes), tag (16), then the encrypted bytes
            return aesgcm.decrypt(data[:12], data[28:] + data[12:28], None)
        except InvalidTag:
            raise ValueError("Cipher text is damaged: invalid tag") from None

    return decrypt


def opened(notification: Stored, decrypt: Decrypt | None, compressor: Compressor | None) -> bytes:
    data: Any = notification.state
    try:
        if decrypt:
            data = decrypt(data)
        if compressor:
            data = compressor.decompress(data)
    except Exception as e:  # the cipher raises several types for changed bytes
        raise unopenable(notification, e) from e
    return bytes(data)


def envelope_json(mapper: SignedEnvelopeMapper, notification: Stored) -> bytes:
    """The envelope's JSON as sealed: the stored bytes decrypted (and decompressed)."""
    return opened(notification, decryptor(mapper.cipher), mapper.compressor)


class CheckedLeaves(Protocol):
    """The log's leaf hashes covering up to ``count`` stored events from the one with
    ``first_notification_id``, checked against a signed checkpoint (empty: none covers it)."""

    def __call__(self, first_notification_id: int, count: int) -> Collection[bytes]: ...


# ----- worker processes -------------------------------------------------------------------------
_worker: tuple[Decrypt | None, Compressor | None, PublicKeySet] | None = None
Checked = Envelope | str  # the checked envelope, or why it failed


def _init_worker(
    cipher: Cipher | None, compressor: Compressor | None, keys: dict[str, Any]
) -> None:
    global _worker
    _worker = (decryptor(cipher), compressor, PublicKeySet.from_json(keys))


def _check_stored_in_worker(notifications: list[Stored], leaves: frozenset[bytes]) -> list[Checked]:
    assert _worker is not None
    decrypt, compressor, keys = _worker
    checked: list[Checked] = []
    for notification in notifications:
        try:
            checked.append(checked_json(opened(notification, decrypt, compressor), keys, leaves))
        except CHECK_ERRORS as e:
            checked.append(str(e) or type(e).__name__)
    return checked


def _check_json_in_worker(values: list[bytes], leaves: frozenset[bytes]) -> list[Checked]:
    assert _worker is not None
    keys = _worker[2]
    checked: list[Checked] = []
    for value in values:
        try:
            checked.append(checked_json(value, keys, leaves))
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
        self, notifications: Sequence[Stored], chunk: int, leaves: frozenset[bytes]
    ) -> Callable[[], list[Checked]]:
        """Start checking stored notifications, ``chunk`` at a time; the function returned
        waits for the outcomes, in order."""
        futures = self._submit(_check_stored_in_worker, notifications, chunk, leaves)
        return lambda: [checked for future in futures for checked in future.result()]

    def submit_json(
        self, values: Sequence[bytes], chunk: int, leaves: frozenset[bytes] = frozenset()
    ) -> list[Callable[[], list[Checked]]]:
        """Start checking envelopes' JSON, ``chunk`` at a time (the first chunks are checked
        first); one function a chunk waits for its outcomes."""
        return [
            future.result for future in self._submit(_check_json_in_worker, values, chunk, leaves)
        ]

    def _submit(
        self,
        check: Callable[[list[Any], frozenset[bytes]], list[Checked]],
        items: Sequence[Any],
        chunk: int,
        leaves: frozenset[bytes],
    ) -> list[Future[list[Checked]]]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.count,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=self._initargs,
            )
        pool = self._pool
        return [
            pool.submit(check, list(items[i : i + chunk]), leaves)
            for i in range(0, len(items), chunk)
        ]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


@dataclass
class Quarantines:
    """How many were quarantined, and the latest few by name (a runner lives for months: every
    reason of its lifetime would be a leak)."""

    count: int = 0
    latest: list[tuple[int, str]] = field(default_factory=list)  # (position, reason)

    def add(self, position: int, reason: str) -> None:
        self.count += 1
        self.latest.append((position, reason))
        if len(self.latest) > QUARANTINES_KEPT:
            del self.latest[:-QUARANTINES_KEPT]


@dataclass
class SealChecker:
    """Opens notifications into checked envelopes; counts what it quarantines.

    ``leaves``: the verifiable log's checked runs (SqlTransparencyLog.checked_leaves): a batch's
    events the newest checkpoint covers need no signature check each. With ``workers`` > 0,
    :meth:`submit` opens batches in that many worker processes (started on first use, stopped
    by :meth:`close`); else in the caller's thread when asked for them.
    """

    mapper: SignedEnvelopeMapper
    keys: PublicKeySet
    workers: int = 0
    leaves: CheckedLeaves | None = None
    quarantines: Quarantines = field(default_factory=Quarantines)
    _pool: SealCheckWorkers | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._decrypt = decryptor(self.mapper.cipher)

    @property
    def quarantined(self) -> list[tuple[int, str]]:
        """The latest quarantines: (notification id, reason)."""
        return self.quarantines.latest

    def __call__(self, notification: Stored) -> Envelope | None:
        return self._open(notification, ())

    def _open(self, notification: Stored, leaves: Collection[bytes]) -> Envelope | None:
        try:
            raw = opened(notification, self._decrypt, self.mapper.compressor)
            return checked_json(raw, self.keys, leaves)
        except CHECK_ERRORS as e:
            self._quarantine(notification, str(e) or type(e).__name__)
            return None

    def _quarantine(self, notification: Stored, reason: str) -> None:
        log.error("quarantined notification %s: %s", notification.id, reason)
        self.quarantines.add(notification.id, reason)

    def checked_leaves(self, notifications: Sequence[Stored]) -> frozenset[bytes]:
        """The log's checked leaves covering ``notifications`` (empty without a log)."""
        if self.leaves is None or not notifications:
            return frozenset()
        return frozenset(self.leaves(notifications[0].id, len(notifications)))

    def submit(self, notifications: Sequence[Stored]) -> Callable[[], list[Envelope | None]]:
        """Start opening ``notifications``; the returned function waits for their envelopes
        (None for one quarantined), in order."""
        leaves = self.checked_leaves(notifications)
        if self.workers <= 0 or not notifications:
            return lambda: [self._open(n, leaves) for n in notifications]
        if self._pool is None:
            self._pool = SealCheckWorkers(
                self.workers, self.keys, self.mapper.cipher, self.mapper.compressor
            )
        chunk = -(-len(notifications) // self.workers)
        outcomes = self._pool.submit(notifications, chunk, leaves)

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
