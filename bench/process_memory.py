"""A process's memory as Linux reports it in /proc: its resident size now and at its peak, and
samples of it taken while something runs."""

from __future__ import annotations

import contextlib
import threading

from bench.workspace import BenchError

SAMPLE_SECONDS = 0.05


def status_kb(pid: int, name: str) -> int:
    """A ``Vm…`` line of /proc/<pid>/status, in kB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(f"{name}:"):
                return int(line.split()[1])
    raise BenchError(f"no {name} in /proc/{pid}/status")


def reset_peak_rss(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux: "5" to clear_refs)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return True


class RssSampler(threading.Thread):
    """Samples the VmRSS of a process every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.samples: list[int] = []
        self._done = threading.Event()

    def run(self) -> None:
        while True:
            with contextlib.suppress(OSError, BenchError):
                self.samples.append(status_kb(self.pid, "VmRSS"))
            if self._done.wait(self.interval):
                return

    def __enter__(self) -> RssSampler:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self.join()
