"""Several HTTP worker processes on one port, each listening on a socket of its own.

uvicorn's own workers share one listening socket, and whichever wakes first accepts every
connection waiting: a client opening its pool of 32 keep-alive connections at once gave 27 of
them to one worker and 5 to the other, which then stayed idle while the first was saturated.
Here each worker binds the port itself with ``SO_REUSEPORT`` and the kernel hands each new
connection to one of the listening sockets by a hash of its addresses, so connections spread
over the workers however they arrive.

The serving process holds the port with a socket it never listens on (it is given no
connections), keeps the workers running (one that dies is started again) and stops them on
SIGINT or SIGTERM. Linux only (``SO_REUSEPORT`` balances connections there).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

import uvicorn

log = logging.getLogger(__name__)
STOP_TIMEOUT = 30.0  # seconds a worker may take to finish its requests and stop
RESTART_PAUSE = 1.0  # between starting a worker again and looking again


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` that other sockets of this user may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _serve(config: uvicorn.Config) -> None:
    """One worker (in its own process): the app on a listening socket of its own."""
    config.configure_logging()
    sock = reuse_port_socket(config.host, config.port)
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(config: uvicorn.Config, workers: int) -> None:
    """Run ``workers`` processes serving ``config`` on its host and port until SIGINT or
    SIGTERM; then stop them, each finishing the requests it has."""
    holder = reuse_port_socket(config.host, config.port)  # the port is ours; never listens
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def start() -> BaseProcess:
        process = context.Process(target=_serve, args=(config,), name="hotich-http")
        process.start()
        return process

    def stopping(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, stopping) for s in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    log.info("serving on %s:%s with %d worker processes", config.host, config.port, workers)
    try:
        while not stop.wait(0.5):
            for i, process in enumerate(processes):
                if not process.is_alive():
                    log.error(
                        "HTTP worker %s exited (%s); starting another",
                        process.pid,
                        process.exitcode,
                    )
                    processes[i] = start()
                    time.sleep(RESTART_PAUSE)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests it has, then exits
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        holder.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# ----- what the workers hold (read from /proc: for tests and the portal benchmark) -----------
ESTABLISHED, LISTENING = "01", "0A"  # TCP states as /proc/net/tcp writes them


def worker_pids(serving_pid: int) -> list[int]:
    """The HTTP workers ``serve_workers`` started in process ``serving_pid`` (the processes it
    spawned to run code of its own, not multiprocessing's helpers)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == serving_pid and b"spawn_main" in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except (OSError, ValueError):
            continue  # not a process, or it ended meanwhile
    return sorted(found)


def sockets_held(pids: list[int], port: int, state: str = ESTABLISHED) -> dict[int, int]:
    """How many TCP sockets of local ``port`` in ``state`` each of the processes holds."""
    sockets = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == state and int(fields[1].rsplit(":", 1)[1], 16) == port:
                sockets.add(f"socket:[{fields[9]}]")
    held = {}
    for pid in pids:
        try:
            held[pid] = sum(os.readlink(fd) in sockets for fd in Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            held[pid] = 0  # it ended meanwhile
    return held
