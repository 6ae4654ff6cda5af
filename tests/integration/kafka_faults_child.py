"""Child processes of the Kafka fault tests: the real relay and projection worker, each wrapped
so that it kills itself with SIGKILL at a chosen point. Test-only wrappers; nothing in the
service has a hook for them.

    python -m tests.integration.kafka_faults_child relay --batch 60 --die-at-commit 2
        build the relay as `hotich relay` does and publish the store batch by batch; at the
        N-th position commit, after the broker acknowledged the batch and before the position is
        stored, SIGKILL.
    python -m tests.integration.kafka_faults_child project --group G --die-at-event 200
        run `hotich project --group G`; right after the runner handled the batch holding the
        N-th message (every view has written it inside the poll's transactions, none has
        committed), SIGKILL.

Configuration comes from the environment, as for the commands themselves (HOTICH_HOME,
HOTICH_KAFKA_BOOTSTRAP, HOTICH_KAFKA_TOPIC).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class DieBeforeStoring:
    """Positions that die instead of storing the N-th position."""

    def __init__(self, inner: Any, die_at: int) -> None:
        self.inner = inner
        self.die_at = die_at
        self.commits = 0

    def get(self, name: str) -> int:
        return int(self.inner.get(name))

    def set(self, name: str, position: int) -> None:
        self.commits += 1
        if self.commits == self.die_at:
            print(f"acknowledged up to {position}; dying before storing it", flush=True)
            die()
        self.inner.set(name, position)


def relay(batch: int, die_at_commit: int) -> None:
    from bootstrap.container import bootstrap
    from bootstrap.relay import build_relay
    from bootstrap.settings import get_settings

    container = bootstrap(get_settings(), sign=False)
    worker = build_relay(container)
    worker.batch = batch
    worker.positions = DieBeforeStoring(worker.positions, die_at_commit)
    while worker.relay_once():
        print(f"position {worker.position}", flush=True)
    print("relayed everything without dying", flush=True)


def project(group: str, die_at_event: int) -> None:
    from cli.main import app
    from infra.messaging.consumer import KafkaProjectionRunner

    handle_batch = KafkaProjectionRunner.handle_batch
    handled = 0

    def dying(runner: KafkaProjectionRunner, messages: Any, checked: Any) -> None:
        nonlocal handled
        handle_batch(runner, messages, checked)  # every view has written them, uncommitted
        handled += len(messages)
        if handled >= die_at_event:
            print(f"applied {die_at_event} events; dying inside the batch", flush=True)
            die()

    KafkaProjectionRunner.handle_batch = dying  # type: ignore[method-assign]
    app(["project", "--group", group])


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    r = commands.add_parser("relay")
    r.add_argument("--batch", type=int, required=True)
    r.add_argument("--die-at-commit", type=int, required=True)
    p = commands.add_parser("project")
    p.add_argument("--group", required=True)
    p.add_argument("--die-at-event", type=int, required=True)
    args = parser.parse_args()
    if args.command == "relay":
        relay(args.batch, args.die_at_commit)
    else:
        project(args.group, args.die_at_event)


if __name__ == "__main__":
    main()
