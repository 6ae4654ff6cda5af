"""A witness of a hotich log: a process another office runs (the provincial archive, the Sở Tư
pháp) that keeps its own copy of the log's newest checkpoint and cosigns (C2SP
tlog-cosignature/v1, with its own Ed25519 key) only a checkpoint that extends it.

Each poll fetches ``<log>/checkpoint`` and checks the log's signature with the log's verifier
key (pinned on first use), then holds it to the last checkpoint the witness accepted:

- the same size and root: nothing new;
- a larger tree: ``<log>/proof/consistency?from=<last>&to=<new>`` must prove (RFC 9162
  §2.1.4) that it extends the last one; the checkpoint is then kept, cosigned and, with a
  token, posted back to ``<log>/cosignatures``;
- a smaller tree, a different root at the size it holds, a proof that fails or that the log
  cannot give, a signature that does not verify: an alarm. The witness refuses, appends the
  alarm to its alarm log (with the log-signed checkpoint it was served: two signed
  checkpoints of one size with different roots prove a fork to anyone), keeps its last good
  checkpoint and never cosigns what it refused.

The first checkpoint is accepted on trust (there is nothing to hold it to); a witness started
later than the log vouches for the log's history from that checkpoint on.

The state directory holds:

``witness.key``  the cosigner key, ``PRIVATE+KEY+<name>+<key id>+<base64(0x04 || seed)>`` (mode
                 0600, created on first use, unless another key file is named)
``log.vkey``     the log's verifier key, pinned on first use
``checkpoint``   the last checkpoint accepted: the log's note with this witness's cosignature
                 (what ``hotich verify --against`` takes)
``alarms.log``   append-only JSON lines: each refusal, what was served and the last good one
``lock``         held while a witness process uses the directory
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx

from infra.tlog.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from infra.tlog.cosignature import Cosigner
from infra.tlog.hashing import HASH_SIZE
from infra.tlog.note import (
    Ed25519NoteVerifier,
    Note,
    NoteError,
    NoteKeyError,
    NoteSignature,
    parse_note,
    valid_key_name,
)
from infra.tlog.proofs import verify_consistency

log = logging.getLogger(__name__)

KEY_FILE = "witness.key"
LOG_KEY_FILE = "log.vkey"
CHECKPOINT_FILE = "checkpoint"
ALARMS_FILE = "alarms.log"
LOCK_FILE = "lock"
USER_AGENT = "hotich-witness/1"


class WitnessSetupError(RuntimeError):
    """The state directory, the keys or the options do not make a witness."""


class LogUnavailableError(RuntimeError):
    """The log could not be asked (no answer, a server error): nothing was decided."""


class ProofRefusedError(ValueError):
    """The log gave no usable consistency proof (a refusal or a malformed answer)."""


class Outcome(StrEnum):
    COSIGNED = "cosigned"  # a new checkpoint extended the last one: kept and cosigned
    UNCHANGED = "unchanged"  # the checkpoint accepted last time
    EMPTY = "empty"  # the log has signed no checkpoint yet
    ALARM = "alarm"  # refused: see AlarmKind
    UNAVAILABLE = "unavailable"  # the log did not answer the question


class AlarmKind(StrEnum):
    SIGNATURE = "signature"  # the note does not verify with the log's key (or names another)
    SMALLER = "smaller"  # a smaller tree than the one accepted
    FORK = "fork"  # another root at the size accepted
    INCONSISTENT = "inconsistent"  # a larger tree that is not proved to extend the one accepted


@dataclass(frozen=True)
class Poll:
    """What one poll found and did."""

    outcome: Outcome
    message: str
    size: int | None = None  # the served checkpoint's tree size, when it could be read
    posted: bool | None = None  # the cosignature was delivered (None: not tried)
    alarm: AlarmKind | None = None
    recorded: bool = False  # a new alarm was appended (False: it repeats the last one)


@dataclass(frozen=True)
class Accepted:
    """The last checkpoint the witness accepted, as it keeps it."""

    checkpoint: Checkpoint
    note: str  # the log's note with this witness's cosignature


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_new(path: Path, text: str, mode: int = 0o600) -> None:
    """Create ``path`` with ``text`` (mode 0600); FileExistsError if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _replace(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a temporary file renamed over it, both synced)."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def load_cosigner(path: Path, name: str | None) -> Cosigner:
    """The witness's key from ``path``, created there (mode 0600) for ``name`` if absent; a
    key of another name than ``name`` is refused (the log knows a witness by name and key)."""
    if not path.exists():
        if not name:
            raise WitnessSetupError(f"{path} does not exist: give --name to create the key")
        if not valid_key_name(name):
            raise WitnessSetupError(f"--name {name!r}: a key name has no space and no '+'")
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it first
            _write_new(path, Cosigner.generate(name).signer_key() + "\n")
    try:
        cosigner = Cosigner.from_signer_key(path.read_text("utf-8"))
    except (OSError, NoteKeyError, ValueError) as e:
        raise WitnessSetupError(f"{path}: not a witness key ({e})") from None
    if name and cosigner.name != name:
        raise WitnessSetupError(f"{path} is the key of {cosigner.name!r}, not {name!r}")
    return cosigner


def _log_key_text(given: str) -> str:
    """A verifier key given as text, or the name of a file holding one."""
    path = Path(given)
    if "+" not in given and path.is_file():
        return path.read_text("utf-8").strip()
    return given.strip()


def pin_log_key(directory: Path, given: str | None) -> Ed25519NoteVerifier:
    """The log's verifier key: ``given`` (text or a file) on first use, then the one pinned in
    the state; another key than the pinned one is refused (it would be another log)."""
    pinned_file = directory / LOG_KEY_FILE
    pinned = pinned_file.read_text("utf-8").strip() if pinned_file.exists() else None
    vkey = _log_key_text(given) if given else pinned
    if vkey is None:
        raise WitnessSetupError("give --log-key: the log's verifier key (GET /log/key)")
    if pinned is not None and vkey != pinned:
        raise WitnessSetupError(
            f"{directory} witnesses the log of key {pinned}, not {vkey}: use another --state"
        )
    try:
        verifier = Ed25519NoteVerifier.from_verifier_key(vkey)
    except NoteKeyError as e:
        raise WitnessSetupError(f"--log-key: {e}") from None
    if pinned is None:
        _replace(pinned_file, vkey + "\n")
    return verifier


class WitnessState:
    """The state directory of one witness of one log (see the module docstring)."""

    def __init__(self, directory: Path, cosigner: Cosigner, log_key: Ed25519NoteVerifier) -> None:
        self.directory = directory
        self.cosigner = cosigner
        self.log_key = log_key
        self._lock: int | None = None
        self._last_alarm: tuple[str, str] | None = self._read_last_alarm()

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        log_key: str | None,
        name: str | None = None,
        key_file: Path | None = None,
    ) -> WitnessState:
        """The state in ``directory`` (created, mode 0700), locked for this process."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            raise WitnessSetupError(f"another witness process uses {directory}") from None
        try:
            cosigner = load_cosigner(key_file or directory / KEY_FILE, name)
            state = cls(directory, cosigner, pin_log_key(directory, log_key))
        except BaseException:
            os.close(lock)
            raise
        state._lock = lock
        state.last()  # a kept checkpoint that does not verify is refused now, not mid-poll
        return state

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None

    def last(self) -> Accepted | None:
        """The last checkpoint accepted (checked again: the log's and this witness's keys)."""
        path = self.directory / CHECKPOINT_FILE
        if not path.exists():
            return None
        note = path.read_text("utf-8")
        try:
            checkpoint, _, verified = open_checkpoint(
                note, self.log_key, [self.cosigner.verifier()]
            )
        except CheckpointError as e:
            raise WitnessSetupError(f"{path} is not a checkpoint this witness accepted: {e}") from e
        if not any(_by(s, self.cosigner) for s in verified):
            raise WitnessSetupError(f"{path} does not carry this witness's cosignature")
        return Accepted(checkpoint, note)

    def accept(self, note: str) -> None:
        """Keep ``note`` (cosigned by this witness) as the last checkpoint accepted."""
        _replace(self.directory / CHECKPOINT_FILE, note)

    def alarm(self, record: dict[str, Any]) -> bool:
        """Append an alarm; False (nothing written) when it repeats the last one (the same kind
        and the same served checkpoint: a witness polling a forked log says so once)."""
        key = (str(record["kind"]), str(record["served"]))
        if key == self._last_alarm:
            return False
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        fd = os.open(self.directory / ALARMS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        self._last_alarm = key
        return True

    def alarms(self) -> list[dict[str, Any]]:
        path = self.directory / ALARMS_FILE
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]

    def _read_last_alarm(self) -> tuple[str, str] | None:
        path = self.directory / ALARMS_FILE
        if not path.exists():
            return None
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - (1 << 20)))
            lines = f.read().splitlines()
        try:
            last = json.loads(lines[-1]) if lines else None
        except ValueError:
            return None
        return None if last is None else (str(last.get("kind")), str(last.get("served")))


@dataclass
class Witness:
    """Polls one log (``log_url``: its URL prefix, e.g. ``http://host:8000/log``)."""

    state: WitnessState
    log_url: str
    token: str | None = None
    timeout: float = 10.0
    clock: Callable[[], dt.datetime] = _utc_now
    http: httpx.Client | None = None
    _delivered: set[int] = field(default_factory=set, init=False)  # sizes the log took

    def __post_init__(self) -> None:
        self.log_url = self.log_url.rstrip("/")
        if self.http is None:
            self.http = httpx.Client(
                base_url=self.log_url, timeout=self.timeout, headers={"User-Agent": USER_AGENT}
            )

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
        self.state.close()

    # ----- one poll ----------------------------------------------------------------------------
    def poll(self) -> Poll:
        """Fetch the log's checkpoint, check it against the last one accepted, and cosign it
        when it extends that one; an alarm otherwise (see the module docstring)."""
        last = self.state.last()
        try:
            served = self._checkpoint_note(have_one=last is not None)
        except LogUnavailableError as e:
            return Poll(Outcome.UNAVAILABLE, str(e))
        if served is None:
            return Poll(Outcome.EMPTY, f"{self.log_url}: the log has signed no checkpoint yet")
        try:
            checkpoint, note, verified = open_checkpoint(
                served, self.state.log_key, [self.state.cosigner.verifier()]
            )
        except CheckpointError as e:
            message = f"the checkpoint served does not verify with the log's key: {e}"
            return self._alarm(AlarmKind.SIGNATURE, message, served, last)
        if last is None:
            return self._accept(checkpoint, note, verified, "the first checkpoint seen")
        old = last.checkpoint
        if checkpoint.size < old.size:
            message = (
                f"the log serves a tree of {checkpoint.size} leaves; this witness accepted "
                f"{old.size}: the log lost leaves (a truncation or an earlier copy restored)"
            )
            return self._alarm(AlarmKind.SMALLER, message, served, last)
        if checkpoint.size == old.size:
            if checkpoint.root != old.root:
                message = (
                    f"the log serves another root at size {old.size}, which this witness "
                    f"accepted with root {_b64(old.root)}: the log forked"
                )
                return self._alarm(AlarmKind.FORK, message, served, last)
            return self._unchanged(checkpoint, note, verified, last)
        try:
            proof = self._consistency_proof(old.size, checkpoint.size)
        except LogUnavailableError as e:
            return Poll(Outcome.UNAVAILABLE, str(e), checkpoint.size)
        except ProofRefusedError as e:
            message = f"no consistency proof from {old.size} to {checkpoint.size}: {e}"
            return self._alarm(AlarmKind.INCONSISTENT, message, served, last)
        if not verify_consistency(old.size, checkpoint.size, old.root, checkpoint.root, proof):
            message = (
                f"the tree of {checkpoint.size} leaves does not extend the tree of {old.size} "
                f"this witness accepted: the log forked"
            )
            return self._alarm(AlarmKind.INCONSISTENT, message, served, last, proof)
        return self._accept(checkpoint, note, verified, f"extends {old.size}")

    def run(self, stop: threading.Event, interval: float, report: Callable[[Poll], None]) -> None:
        """Poll every ``interval`` seconds until ``stop`` is set; an alarm never ends it."""
        while not stop.is_set():
            report(self.poll())
            stop.wait(interval)

    # ----- what the witness does with a checkpoint -----------------------------------------------
    def _accept(
        self, checkpoint: Checkpoint, note: Note, verified: list[NoteSignature], why: str
    ) -> Poll:
        log_signature = verified[0]  # open_checkpoint puts the log's first
        cosigned = Note(note.text, (log_signature, self.state.cosigner.cosign(note.text)))
        self.state.accept(cosigned.encode())  # kept before it is posted: never cosigned unkept
        posted = self._post(checkpoint.size, cosigned.encode())
        message = f"cosigned size {checkpoint.size}, root {_b64(checkpoint.root)} ({why})"
        return Poll(Outcome.COSIGNED, message, checkpoint.size, posted)

    def _unchanged(
        self, checkpoint: Checkpoint, note: Note, verified: list[NoteSignature], last: Accepted
    ) -> Poll:
        """Nothing new; the kept cosignature is posted again if the log does not serve it (a
        post that failed, a log that learnt the witness's key since)."""
        posted = None
        served_ours = any(_by(s, self.state.cosigner) for s in verified)
        same_text = parse_note(last.note).text == note.text
        if not served_ours and same_text and checkpoint.size not in self._delivered:
            posted = self._post(checkpoint.size, last.note)
        message = f"nothing new: size {checkpoint.size}"
        return Poll(Outcome.UNCHANGED, message, checkpoint.size, posted)

    def _alarm(
        self,
        kind: AlarmKind,
        message: str,
        served: str,
        last: Accepted | None,
        proof: list[bytes] | None = None,
    ) -> Poll:
        size = _size_of(served)
        record: dict[str, Any] = {
            "at": self.clock().isoformat(),
            "kind": kind.value,
            "message": message,
            "log": self.log_url,
            "served": served,
            "last_good": None
            if last is None
            else {
                "size": last.checkpoint.size,
                "root": _b64(last.checkpoint.root),
                "note": last.note,
            },
        }
        if proof is not None:
            record["proof"] = [_b64(h) for h in proof]
        recorded = self.state.alarm(record)
        message = f"ALARM ({kind.value}) {self.log_url}: {message}"
        return Poll(Outcome.ALARM, message, size, alarm=kind, recorded=recorded)

    # ----- HTTP --------------------------------------------------------------------------------
    def _get(self, path: str, params: dict[str, int] | None = None) -> httpx.Response:
        assert self.http is not None
        try:
            response = self.http.get(path, params=params)
        except httpx.HTTPError as e:
            raise LogUnavailableError(f"cannot reach {self.log_url}{path}: {e}") from None
        if response.status_code >= 500:
            raise LogUnavailableError(
                f"{self.log_url}{path}: {response.status_code} {_detail(response)}"
            )
        return response

    def _checkpoint_note(self, *, have_one: bool) -> str | None:
        """The served checkpoint note; None if the log has none yet (404 before any was
        accepted; after one was, a 404 is the log being away, not a decision)."""
        response = self._get("/checkpoint")
        if response.status_code == 404 and not have_one:
            return None
        if response.status_code != 200:
            raise LogUnavailableError(
                f"{self.log_url}/checkpoint: {response.status_code} {_detail(response)}"
            )
        try:
            return response.content.decode("utf-8")
        except UnicodeDecodeError:
            return response.content.decode("utf-8", errors="replace")  # refused as unsigned

    def _consistency_proof(self, old: int, new: int) -> list[bytes]:
        if old == 0:
            return []  # every tree extends the empty one; the log proves nothing from size 0
        response = self._get("/proof/consistency", {"from": old, "to": new})
        if response.status_code != 200:
            raise ProofRefusedError(f"the log answered {response.status_code} {_detail(response)}")
        try:
            body = response.json()
            if not isinstance(body, dict) or (body.get("from"), body.get("to")) != (old, new):
                raise ProofRefusedError(f"the proof served is not from {old} to {new}")
            hashes = body["hashes"]
            if not isinstance(hashes, list) or len(hashes) > 128:
                raise ProofRefusedError("the proof's hashes are not a list of hashes")
            proof = [base64.b64decode(str(h), validate=True) for h in hashes]
        except (ValueError, KeyError, binascii.Error) as e:
            raise ProofRefusedError(f"a malformed proof ({e})") from None
        if any(len(h) != HASH_SIZE for h in proof):
            raise ProofRefusedError("a proof hash is not 32 bytes")
        return proof

    def _post(self, size: int, cosigned: str) -> bool | None:
        """Post the cosigned note with the witness's token (None: no token, nothing sent)."""
        if not self.token:
            return None
        assert self.http is not None
        try:
            response = self.http.post(
                "/cosignatures",
                content=cosigned.encode("utf-8"),
                headers={
                    "Content-Type": "text/plain; charset=utf-8",
                    "Authorization": f"Bearer {self.token}",
                },
            )
        except httpx.HTTPError as e:
            log.warning("the cosignature of size %d was not delivered: %s", size, e)
            return False
        if response.status_code != 200:
            log.warning(
                "the log refused the cosignature of size %d: %d %s",
                size,
                response.status_code,
                _detail(response),
            )
            return False
        self._delivered.add(size)
        kept: object = None
        with contextlib.suppress(ValueError, AttributeError):
            kept = response.json().get("kept")
        if not kept:
            log.warning(
                "the log kept no cosignature of size %d: is this witness's key in its "
                "HOTICH_LOG_WITNESSES? (hotich witness key)",
                size,
            )
        return True


def _by(signature: NoteSignature, cosigner: Cosigner) -> bool:
    return (signature.name, signature.key_id) == (cosigner.name, cosigner.key_id)


def _size_of(note: str) -> int | None:
    """The tree size an (unverified) checkpoint note claims, for messages."""
    with contextlib.suppress(ValueError, IndexError, NoteError):
        return int(note.split("\n")[1])
    return None


def _detail(response: httpx.Response) -> str:
    """A problem's detail, or the start of the body."""
    with contextlib.suppress(ValueError):
        body = response.json()
        if isinstance(body, dict) and "detail" in body:
            return str(body["detail"])[:300]
    return response.text[:300]
