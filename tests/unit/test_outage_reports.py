"""How outages are reported: the health checks' bounds, and an outage logged once, then every
minute, then when it ends."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from api.health import Health
from bootstrap.web import broker_answers
from infra.outages import OutageLog


def test_a_probe_that_hangs_is_reported_down_within_the_timeout() -> None:
    release = threading.Event()

    def hangs() -> None:
        release.wait(30)

    def fails() -> None:
        raise ConnectionRefusedError("connection refused")

    health = Health({"up": lambda: 7, "hangs": hangs, "fails": fails}, timeout=0.3, ttl=0)
    started = time.monotonic()
    states = health.check()
    assert time.monotonic() - started < 1.0
    assert states["up"].up
    assert states["up"].value == 7
    assert not states["hangs"].up
    assert states["hangs"].detail == "no answer within 0.3 s"
    assert not states["fails"].up
    assert states["fails"].detail == "connection refused"
    states = health.check()  # the hanging probe is waited for again, not started twice
    assert not states["hangs"].up
    release.set()


def test_a_check_is_kept_for_its_ttl() -> None:
    calls = []
    now = [0.0]
    health = Health({"db": lambda: calls.append(1)}, ttl=1.0, clock=lambda: now[0])
    health.check()
    health.check()
    assert len(calls) == 1
    now[0] = 1.5
    health.check()
    assert len(calls) == 2


def test_an_outage_is_logged_when_it_starts_every_minute_and_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    outage = OutageLog(logging.getLogger("test.outage"), "relay", clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="test.outage"):
        for second in range(0, 150, 5):  # an attempt every 5 s for 150 s
            now[0] = float(second)
            outage.failed(ConnectionError("broker away"), "retrying from position 40")
        now[0] = 150.0
        outage.succeeded("relaying from position 40")
        outage.succeeded("relaying from position 90")  # no outage: nothing said
    assert [r.getMessage() for r in caplog.records] == [
        "relay: broker away; retrying from position 40",
        "relay: still failing after 60 s (13 attempts): broker away; retrying from position 40",
        "relay: still failing after 120 s (25 attempts): broker away; retrying from position 40",
        "relay: working again after 150 s (30 failed attempts); relaying from position 40",
    ]


def test_the_kafka_probe_connects_to_a_bootstrap_server() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        broker_answers(f"127.0.0.1:1,127.0.0.1:{port}")  # one answering is enough
    with pytest.raises(OSError, match=f"127.0.0.1:{port}"):
        broker_answers(f"127.0.0.1:{port}", timeout=0.5)
