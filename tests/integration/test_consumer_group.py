"""Several `hotich project` processes of one consumer group share the topic's partitions, and
together build the same read models as a clean build from the event store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from kafka.admin import KafkaAdminClient

from bootstrap.container import bootstrap, init_home
from bootstrap.relay import build_relay
from bootstrap.settings import Settings
from demo.load import load_demo
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.envelope_models import EnvelopeReadModels
from infra.read_store.log_runner import PollingProjectionRunner
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import SealChecker
from tests.integration.broker import bootstrap_servers
from tests.integration.read_stores import ReadStores

WORKERS = 2
METRICS_PORTS = (19311, 19312)


def applied_by_partition(port: int) -> dict[int, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
    counts: dict[int, float] = {}
    for line in text.splitlines():
        if line.startswith("hotich_events_applied_total{"):
            partition = int(line.split('partition="')[1].split('"')[0])
            counts[partition] = float(line.rsplit(" ", 1)[1])
    return counts


def stable_members(admin: KafkaAdminClient, group: str) -> int:
    """How many members the group has once it is stable (0 before)."""
    found = admin.describe_groups([group]).get(group) or {}
    return len(found.get("members") or []) if found.get("group_state") == "Stable" else 0


def test_project_workers_of_one_group_share_the_partitions_and_build_the_same_views(
    tmp_path: Path,
) -> None:
    topic = f"hotich.test.{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "HOTICH_HOME": str(tmp_path / "home"),
        "HOTICH_KAFKA_BOOTSTRAP": bootstrap_servers(),
        "HOTICH_KAFKA_TOPIC": topic,
        "HOTICH_DEMO": "false",
    }
    env.pop("HOTICH_DATABASE_URL", None)
    settings = Settings(
        home=tmp_path / "home", demo=False, kafka_bootstrap=bootstrap_servers(), kafka_topic=topic
    )
    init_home(settings)
    container = bootstrap(settings)
    load_demo(container.app)  # the eleven districts of Hà Giang: keys over many partitions
    relay = build_relay(container)  # creates the topic, 12 partitions
    total = container.app.recorder.max_notification_id() or 0

    group = f"g-{uuid.uuid4().hex[:8]}"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cli.main",
                "project",
                "--group",
                group,
                "--metrics-port",
                str(port),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for port in METRICS_PORTS[:WORKERS]
    ]
    # publish once both workers hold their share, so neither takes everything alone
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers())
    deadline = time.monotonic() + 60
    while (members := stable_members(admin, group)) < WORKERS:
        assert time.monotonic() < deadline, f"{members} of {WORKERS} workers joined in 60 s"
        time.sleep(0.5)
    while relay.relay_once():
        pass
    relay.close()
    counts: list[dict[int, float]] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(1)
            assert all(w.poll() is None for w in workers), [w.communicate()[0] for w in workers]
            try:
                counts = [applied_by_partition(port) for port in METRICS_PORTS[:WORKERS]]
            except OSError:
                continue  # a worker is still starting
            if sum(sum(c.values()) for c in counts) >= total:
                break
        else:
            raise AssertionError(f"the workers applied {counts} of {total} events in 120 s")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        outputs = [worker.communicate(timeout=30)[0] for worker in workers]

    # each worker owned some of the partitions, none owned one twice
    owned = [{p for p, n in c.items() if n > 0} for c in counts]
    assert all(owned), (owned, outputs)
    assert not owned[0] & owned[1], owned
    assert sum(sum(c.values()) for c in counts) == total

    # together they built what a clean build from the event store builds
    app = container.app
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    stores = ReadStores("sqlite", ReadStoreBackend.sqlite(tmp_path / "clean"))
    clean = EnvelopeReadModels.open(tmp_path / "clean")
    sealed = SealChecker(app.mapper, container.keyring.public_keys())
    PollingProjectionRunner(app, clean.projections(), decode=sealed).catch_up()
    clean.close()
    served = ReadStores("sqlite", ReadStoreBackend.sqlite(settings.home))
    for name in ("progress", "portal", "history"):
        built = {t: rows for t, rows in served.dump(name).items() if t != "tracking"}
        clean_rows = {t: r for t, r in stores.dump(name).items() if t != "tracking"}
        assert built == clean_rows, (name, outputs)  # the workers' logs say why, if not
    admin.delete_topics([topic])
    admin.close()
    container.close()
