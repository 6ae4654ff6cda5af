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

The witness keeps its state in a directory (infra/tlog/witness_state.py) and asks the log over
HTTP (infra/tlog/witness_client.py).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from infra.tlog.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from infra.tlog.note import Note, NoteError, NoteSignature, parse_note
from infra.tlog.proofs import verify_consistency
from infra.tlog.witness_client import (
    USER_AGENT,
    LogUnavailableError,
    ProofRefusedError,
    WitnessLogClient,
)
from infra.tlog.witness_state import Accepted, WitnessState, cosigned_by


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


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Witness:
    """Polls one log (``log_url``: its URL prefix, e.g. ``http://host:8000/log``)."""

    state: WitnessState
    log_url: str
    token: str | None = None
    timeout: float = 10.0
    clock: Callable[[], dt.datetime] = _utc_now
    http: httpx.Client | None = None
    _log: WitnessLogClient = field(init=False)

    def __post_init__(self) -> None:
        self.log_url = self.log_url.rstrip("/")
        if self.http is None:
            self.http = httpx.Client(
                base_url=self.log_url, timeout=self.timeout, headers={"User-Agent": USER_AGENT}
            )
        self._log = WitnessLogClient(self.log_url, self.http, self.token)

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
            served = self._log.checkpoint_note(have_one=last is not None)
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
            proof = self._log.consistency_proof(old.size, checkpoint.size)
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
        posted = self._log.post(checkpoint.size, cosigned.encode())
        message = f"cosigned size {checkpoint.size}, root {_b64(checkpoint.root)} ({why})"
        return Poll(Outcome.COSIGNED, message, checkpoint.size, posted)

    def _unchanged(
        self, checkpoint: Checkpoint, note: Note, verified: list[NoteSignature], last: Accepted
    ) -> Poll:
        """Nothing new; the kept cosignature is posted again if the log does not serve it (a
        post that failed, a log that learnt the witness's key since)."""
        posted = None
        served_ours = any(cosigned_by(s, self.state.cosigner) for s in verified)
        same_text = parse_note(last.note).text == note.text
        if not served_ours and same_text and checkpoint.size not in self._log.delivered:
            posted = self._log.post(checkpoint.size, last.note)
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


def _size_of(note: str) -> int | None:
    """The tree size an (unverified) checkpoint note claims, for messages."""
    with contextlib.suppress(ValueError, IndexError, NoteError):
        return int(note.split("\n")[1])
    return None
