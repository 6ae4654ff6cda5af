"""The state directory of a witness of a hotich log (infra/tlog/witness.py): its key, the log's
pinned key, the last checkpoint it accepted and its alarms, each written whole or not at all.

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

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.tlog.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from infra.tlog.cosignature import Cosigner
from infra.tlog.note import Ed25519NoteVerifier, NoteKeyError, NoteSignature, valid_key_name

KEY_FILE = "witness.key"
LOG_KEY_FILE = "log.vkey"
CHECKPOINT_FILE = "checkpoint"
ALARMS_FILE = "alarms.log"
LOCK_FILE = "lock"


class WitnessSetupError(RuntimeError):
    """The state directory, the keys or the options do not make a witness."""


@dataclass(frozen=True)
class Accepted:
    """The last checkpoint the witness accepted, as it keeps it."""

    checkpoint: Checkpoint
    note: str  # the log's note with this witness's cosignature


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
        if not any(cosigned_by(s, self.cosigner) for s in verified):
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


def cosigned_by(signature: NoteSignature, cosigner: Cosigner) -> bool:
    return (signature.name, signature.key_id) == (cosigner.name, cosigner.key_id)
