"""`hotich witness`: another office's witness of a hotich log (infra/tlog/witness.py), built from
the command's options, polled once or until a signal."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from infra.tlog.witness import Outcome, Poll, Witness
from infra.tlog.witness_state import KEY_FILE, WitnessSetupError, WitnessState, load_cosigner

__all__ = ["WitnessSetupError", "exit_code", "open_witness", "run_witness", "witness_key"]

log = logging.getLogger("hotich.witness")
EXIT_CODES = {
    Outcome.COSIGNED: 0,
    Outcome.UNCHANGED: 0,
    Outcome.EMPTY: 0,
    Outcome.ALARM: 1,  # refused: the log does not extend what this witness accepted
    Outcome.UNAVAILABLE: 3,  # the log did not answer: nothing was decided
}


def exit_code(poll: Poll) -> int:
    return EXIT_CODES[poll.outcome]


def open_witness(
    state: Path,
    *,
    log_url: str,
    log_key: str | None,
    key_file: Path | None = None,
    name: str | None = None,
    token: str | None = None,
) -> Witness:
    """The witness of the log at ``log_url`` (its URL prefix, ``…/log``), its state in
    ``state`` (locked while it runs). WitnessSetupError when the options do not make one."""
    if not log_url.startswith(("http://", "https://")):
        raise WitnessSetupError(f"--log {log_url!r}: the log's URL, e.g. http://host:8000/log")
    witness_state = WitnessState.open(state, log_key=log_key, name=name, key_file=key_file)
    return Witness(witness_state, log_url, token=token or None)


def witness_key(state: Path, key_file: Path | None = None, name: str | None = None) -> str:
    """The witness's verifier key (its key created first if absent): what the log's
    HOTICH_LOG_WITNESSES takes."""
    if key_file is None:
        state.mkdir(mode=0o700, parents=True, exist_ok=True)
    return load_cosigner(key_file or state / KEY_FILE, name).verifier_key()


def _report(poll: Poll) -> None:
    if poll.outcome is Outcome.ALARM and poll.recorded:
        log.error("%s", poll.message)
    elif poll.outcome is Outcome.COSIGNED:
        log.info("%s", poll.message)
    elif poll.outcome is Outcome.UNAVAILABLE:
        log.warning("%s", poll.message)
    else:  # nothing new, or the alarm recorded last time, again
        log.debug("%s", poll.message)


def run_witness(witness: Witness, interval: float) -> None:
    """Poll every ``interval`` seconds until SIGINT or SIGTERM; alarms are logged (and kept in
    the state's alarm log), never cosigned, and polling goes on."""
    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, stopping) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        log.info("witnessing %s every %s s", witness.log_url, interval)
        witness.run(stop, interval, _report)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
