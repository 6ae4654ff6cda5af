"""What a benchmark needs to run: hotich's command line, the settings it reads from the
environment, its directory (HOTICH_BENCH_DIR, ``.bench`` by default) and a throwaway work
directory in it, and a way to stop that still runs its clean-up."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

# The `hotich` command line as a child process of this Python. Not `-m cli.main`: that
# module's `if __name__ == "__main__": app()` runs before the users commands are registered;
# the console script imports the whole module first, and so does this.
HOTICH = (sys.executable, "-c", "from cli.main import app; app()")


class BenchError(RuntimeError):
    """Something the benchmark needs did not work (not a slow figure: those are only printed)."""


def required_env(*names: str, hint: str) -> list[str]:
    """The values of ``names``; exits saying what to do (``hint``) when any is not set."""
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        sys.exit(f"{', '.join(missing)} not set: {hint}")
    return [os.environ[name] for name in names]


def bench_dir() -> Path:
    """Where benchmarks keep what they build (``make bench`` removes it at the end)."""
    root = Path(os.environ.get("HOTICH_BENCH_DIR", ".bench"))
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def workdir(prefix: str, under: Path | None = None) -> Iterator[Path]:
    """A fresh directory ``under`` a directory (the bench directory by default), removed
    afterwards (and the bench directory too if this made it and nothing else is left in it)."""
    made_root = not Path(os.environ.get("HOTICH_BENCH_DIR", ".bench")).exists()
    root = bench_dir()
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=under or root))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if made_root:
            with contextlib.suppress(OSError):
                root.rmdir()  # only if empty


def _exit_on_signal(signum: int, _: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def exit_on_sigterm() -> None:
    """SIGTERM exits through the ``finally`` blocks, so the servers a benchmark started stop
    (they run in their own sessions: a signal to the benchmark does not reach them)."""
    signal.signal(signal.SIGTERM, _exit_on_signal)
