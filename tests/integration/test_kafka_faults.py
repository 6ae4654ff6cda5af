"""Faults against a real Kafka broker: each ends with the Kafka-fed views equal to a clean rebuild.

The broker is a dedicated one (kafka.sh with its own HOTICH_KAFKA_DIR and ports 19092/19093),
started for this module and stopped at its end, because one scenario stops and restarts it and
the shared broker of the other tests must not move. One pytest session at a time uses it (a lock
file beside its data). It never skips: if it cannot start, the tests fail.

Each scenario records a few hundred events of a day's work (books catalogued, pages scanned,
entries keyed, second-keyed, verified, published), breaks something on the way to the views,
then rebuilds fresh views from the event store (the in-process runner) and compares every row
of every view table (tracking positions aside) and the views' answers for every entry. Each
runs twice: the store and the views on SQLite files, and on PostgreSQL (the views in schemas).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from bootstrap.container import Container, bootstrap, init_home
from bootstrap.relay import build_relay
from bootstrap.settings import Settings
from digitization.application import Digitisation
from domain.actor import Actor, Role
from domain.record_kind import RecordKind
from infra.messaging.consumer import KafkaProjectionRunner, Target, kafka_consumer
from infra.messaging.positions import SqlPositions
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.chain import SqlChainLedger
from infra.read_store.envelope_models import EnvelopeReadModels
from infra.read_store.log_runner import PollingProjectionRunner
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import SealChecker
from tests.builders import upload_scan, write_png
from tests.integration.conftest import postgres_url, reset_postgres
from tests.integration.own_services import FAULTS_KAFKA_PORT, OwnService, own_kafka

ROOT = Path(__file__).resolve().parents[2]
PORT = FAULTS_KAFKA_PORT
BOOTSTRAP = f"127.0.0.1:{PORT}"
PARTITIONS = 3
WAIT = 90.0  # seconds: the bound of every wait below (a failure, never a measurement)

CLERK = Actor("clerk.026.1", Role.CLERK)
CLERK2 = Actor("clerk.026.2", Role.CLERK)
VERIFIER = Actor("verifier.026.1", Role.VERIFIER)
TODAY = dt.date(2023, 6, 1)
COMMUNES = ("00712", "00688", "00769", "00820", "00874", "00703")  # six districts
FAMILIES = ("Giàng", "Lò", "Sùng", "Vàng", "Hoàng", "Lý", "Thào", "Mua")
GIVEN = ("Páo", "Mai", "Chứ", "Dình", "Pó", "Súa", "Mỷ", "Chúng", "Lử", "Dế")


# ----- the dedicated broker ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def broker() -> Iterator[OwnService]:
    """The dedicated broker, for one pytest session at a time: another session running these
    tests in the same checkout waits for the lock instead of stopping the broker under us."""
    with own_kafka(PORT, "kafka-faults").held() as kafka:
        kafka.start()  # a fresh broker (formats an empty data dir), or the one a crash left
        yield kafka


@pytest.fixture
def topic(broker: OwnService) -> Iterator[str]:
    broker.ensure_running()  # a failed scenario may have left it stopped
    name = f"hotich.faults.{uuid.uuid4().hex[:12]}"
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    admin.create_topics(
        [
            NewTopic(name, num_partitions=PARTITIONS, replication_factor=1),
            NewTopic(f"{name}.quarantine", num_partitions=1, replication_factor=1),
        ]
    )
    yield name
    admin.close()
    broker.ensure_running()
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)  # the old one's node is in backoff
    admin.delete_topics([name, f"{name}.quarantine"])
    admin.close()


@pytest.fixture
def container(tmp_path: Path, broker: OwnService, topic: str, backend: str) -> Iterator[Container]:
    """An encrypted, signed store (SQLite, or PostgreSQL with the views in schemas of its
    database) whose relay goes to the dedicated broker and topic."""
    url = None
    if backend == "postgres":
        url = postgres_url()
        reset_postgres(url)
    settings = Settings(
        home=tmp_path / "home",
        demo=False,
        database_url=url,
        read_database_url=None,
        cipher_key=None,
        s3_endpoint=None,
        kafka_bootstrap=BOOTSTRAP,
        kafka_topic=topic,
    )
    init_home(settings, encrypt=True)
    c = bootstrap(settings)
    yield c
    c.close()


# ----- a day's work ------------------------------------------------------------------------------
class Workload:
    """Books catalogued and scanned, then their entries keyed, second-keyed, verified and
    published, stage by stage (not every entry reaches every stage). One use case per step."""

    def __init__(self, app: Digitisation, scans: Path, registers: int = 8, entries: int = 10):
        self.app = app
        self.scans = scans
        self.registers: list[UUID] = []
        self.entries: list[UUID] = []
        self._steps = self._all(registers, entries)

    def advance(self, steps: int | None = None) -> int:
        """Run the next ``steps`` use cases (all that remain without a count)."""
        done = 0
        for _ in self._steps:
            done += 1
            if done == steps:
                break
        return done

    def _scan(self, register_id: UUID, page: int) -> None:
        shade = len(list(self.scans.glob("*.png"))) + 1
        path = self.scans / f"scan-{shade}.png"
        write_png(path, shade)
        upload_scan(self.app, register_id, page, path, actor=CLERK)

    def _all(self, registers: int, entries: int) -> Iterator[None]:
        self.scans.mkdir(parents=True, exist_ok=True)
        for book in range(registers):
            register = self.app.catalogue_register(
                actor=CLERK,
                commune_code=COMMUNES[book % len(COMMUNES)],
                kind=RecordKind.BIRTH,
                year_from=1990,
                year_to=1992,
                book_number=f"{book + 1:02d}/KS",
                page_count=2,
                estimated_entries=entries,
            )
            self.registers.append(register.id)
            yield
        for register_id in self.registers:
            for page in (1, 2):
                self._scan(register_id, page)
                yield
        fields: dict[UUID, dict[str, Any]] = {}
        for number in range(1, entries + 1):
            for book, register_id in enumerate(self.registers):
                n = len(self.entries)
                fields_of_entry = {
                    "child.full_name": f"{FAMILIES[n % 8]} {'Seo' if n % 2 else 'Thị'} "
                    f"{GIVEN[(n // 8) % 10]}",
                    "child.sex": "nam" if n % 2 else "nữ",
                    "child.birth_date": f"{1 + n % 28:02d}/{1 + n % 12:02d}/1990",
                    "child.ethnicity": "Mông",
                    "mother.full_name": f"{FAMILIES[(n + 3) % 8]} Thị {GIVEN[n % 10]}",
                    "registration_date": f"{1 + n % 28:02d}/{1 + n % 12:02d}/1991",
                    "registrar": f"Lầu Mí {GIVEN[book % 10]}",
                }
                entry = self.app.key_entry(
                    actor=CLERK,
                    register_id=register_id,
                    entry_number=number,
                    pages=[1 if number <= entries // 2 else 2],
                    fields=fields_of_entry,
                )
                self.entries.append(entry.id)
                fields[entry.id] = fields_of_entry
                yield
        stages: list[tuple[int, Callable[[UUID], object]]] = [
            (1, lambda e: self.app.second_key_entry(actor=CLERK2, entry_id=e, fields=fields[e])),
            (2, lambda e: self.app.verify_entry(actor=VERIFIER, entry_id=e)),
            (4, lambda e: self.app.publish_entry(actor=VERIFIER, entry_id=e)),
        ]
        for stop_short, use_case in stages:  # the last entries of each book lag behind
            for entry_id in self.entries[: len(self.entries) - stop_short * len(self.registers)]:
                use_case(entry_id)
                yield


def log_head(app: Digitisation) -> int:
    """The id of the last stored event."""
    return app.recorder.max_notification_id() or 0


@pytest.fixture
def work(container: Container, tmp_path: Path) -> Workload:
    return Workload(container.app, tmp_path / "scans")


@pytest.fixture
def total(work: Workload) -> int:
    """The whole workload recorded: the id of the last stored event (many batches of it)."""
    work.advance()
    head = log_head(work.app)
    assert head > 250
    return head


# ----- views: Kafka-fed, rebuilt, compared --------------------------------------------------------
Rows = dict[str, list[tuple[Any, ...]]]
VIEW_DATABASES = ("progress", "portal", "history", "chain")


@dataclass(frozen=True)
class Views:
    """Where a set of the envelope views lives: SQLite files in a directory, or schemas of the
    store's PostgreSQL database named ``<prefix><view>`` (each emptied when the set is made)."""

    backend: ReadStoreBackend
    prefix: str = ""

    @classmethod
    def of(cls, container: Container, label: str, *, fresh: bool = True) -> Views:
        """The set called ``label`` beside the container's store (``""``: the service's own,
        where `hotich project` keeps them)."""
        url = container.settings.read_store_url
        if url is None:
            directory = container.settings.home / label if label else container.settings.home
            return cls(ReadStoreBackend.sqlite(directory))
        views = cls(ReadStoreBackend.postgres(url), f"{label}_" if label else "")
        if fresh and label:
            for name in VIEW_DATABASES:
                views.backend.drop(views.name(name))
        return views

    def name(self, view: str) -> str:
        return f"{self.prefix}{view}"

    def models(self) -> EnvelopeReadModels:
        names = {view: self.name(view) for view in VIEW_DATABASES[:3]}
        return EnvelopeReadModels.open(self.backend, names=names)

    def chain(self) -> SqlChainLedger:
        return SqlChainLedger(self.backend.database(self.name("chain")))

    def present(self) -> list[str]:
        """The view databases of the set that exist."""
        if self.backend.url is None:
            assert self.backend.directory is not None
            found = {p.stem for p in self.backend.directory.glob("*.sqlite")}
        else:
            with psycopg.connect(self.backend.url) as pg:
                found = {str(r[0]) for r in pg.execute("SELECT nspname FROM pg_namespace")}
        return [view for view in VIEW_DATABASES if self.name(view) in found]

    def _tables(self, view: str) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
        """Each table of a view database but ``tracking``, with its rows."""
        if self.backend.url is None:
            path = self.backend.path(self.name(view))
            if not path.exists():
                return
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
                tables = [
                    r[0]
                    for r in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type='table' "
                        "AND name NOT LIKE 'sqlite_%' AND name != 'tracking' ORDER BY name"
                    )
                ]
                for table in tables:
                    yield table, conn.execute(f'SELECT * FROM "{table}"').fetchall()
            return
        schema = self.name(view)
        with psycopg.connect(self.backend.url) as pg:
            tables = [
                str(r[0])
                for r in pg.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                    "AND table_name != 'tracking' ORDER BY table_name",
                    (schema,),
                )
            ]
            for table in tables:
                query = psycopg.sql.SQL("SELECT * FROM {}").format(
                    psycopg.sql.Identifier(schema, table)
                )
                yield table, [tuple(row) for row in pg.execute(query)]

    def rows(self, views: list[str]) -> Rows:
        """Every row of every table of ``views``, tracking positions aside, in a stable order."""
        rows: Rows = {}
        for view in views:
            rows[view] = []
            for table, found in self._tables(view):
                rows[f"{view}:{table}"] = sorted(found, key=repr)
        return rows

    def committed(self, views: list[str], topic: str) -> int:
        """Events ``views`` committed from the topic: the sum of their positions over the
        partitions (offset + 1 each), the least of the views; 0 before they exist."""
        least: int | None = None
        for view in views:
            sql = "SELECT position FROM tracking WHERE view LIKE ?"
            if self.backend.url is None:
                path = self.backend.path(self.name(view))
                try:
                    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                        found = conn.execute(sql, (f"%@{topic}:%",)).fetchall()
                except sqlite3.OperationalError:  # not created yet
                    return 0
            else:
                try:
                    with psycopg.connect(self.backend.url) as pg:
                        table = psycopg.sql.Identifier(self.name(view), "tracking")
                        query = psycopg.sql.SQL(
                            "SELECT position FROM {} WHERE view LIKE %s"
                        ).format(table)
                        found = list(pg.execute(query, (f"%@{topic}:%",)))
                except psycopg.errors.UndefinedTable:  # not created yet
                    return 0
            total = sum(int(r[0]) for r in found)
            least = total if least is None else min(least, total)
        return least or 0


def differences(got: Rows, expected: Rows) -> list[str]:
    out = []
    for table in sorted(set(got) | set(expected)):
        mine, theirs = got.get(table), expected.get(table)
        if mine is None or theirs is None:
            out.append(f"{table}: only in {'the rebuild' if mine is None else 'the Kafka views'}")
            continue
        extra = [r for r in mine if r not in theirs]
        missing = [r for r in theirs if r not in mine]
        if extra or missing or len(mine) != len(theirs):
            out.append(
                f"{table}: {len(mine)} rows fed from Kafka, {len(theirs)} rebuilt; "
                f"{len(extra)} not in the rebuild (e.g. {extra[:2]}), "
                f"{len(missing)} missing (e.g. {missing[:2]})"
            )
    return out


@dataclass
class Rebuild:
    """Fresh views fed from the event store by the in-process runner, as `hotich serve` does."""

    views: Views
    names: list[str]
    rows: Rows

    @classmethod
    def of(cls, container: Container, label: str) -> Rebuild:
        app = container.app
        assert isinstance(app.mapper, SignedEnvelopeMapper)
        views = Views.of(container, label)
        models = views.models()
        try:
            runner = PollingProjectionRunner(
                app,
                models.projections(),
                decode=SealChecker(app.mapper, container.keyring.public_keys()),
            )
            assert runner.catch_up() == log_head(app)
        finally:
            models.close()
        names = views.present()
        assert names, f"the read models left no view database in {views}"
        return cls(views, names, views.rows(names))

    def differences(self, views: Views) -> list[str]:
        return differences(views.rows(self.names), self.rows)


def answers(models: EnvelopeReadModels, work: Workload) -> tuple[Any, ...]:
    """What the views answer: the province, every district, every entry's record and history."""
    districts = sorted({d.district for d in models.progress.province_progress(TODAY).districts})
    return (
        models.progress.province_progress(TODAY),
        [models.progress.district_progress(d, TODAY) for d in districts],
        [models.portal.get_record(i) for i in work.entries],
        [models.history.history(i) for i in work.entries],
    )


def assert_views_equal_the_rebuild(
    container: Container, views: Views, rebuilt: Rebuild, work: Workload
) -> None:
    diffs = rebuilt.differences(views)
    assert not diffs, "the Kafka-fed views differ from the rebuild:\n" + "\n".join(diffs)
    fed, clean = views.models(), rebuilt.views.models()
    try:
        assert answers(fed, work) == answers(clean, work)
        assert sum(1 for r in answers(fed, work)[2] if r is not None) > 0  # something published
        for entry_id in work.entries:  # each (entry, version) once, none missing
            versions = [h.version for h in fed.history.history(entry_id)]
            assert versions == list(range(1, container.app.get_entry(entry_id).version + 1))
    finally:
        fed.close()
        clean.close()


# ----- Kafka helpers -----------------------------------------------------------------------------
def wait_for(condition: Callable[[], bool], what: Callable[[], str], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f}s: {what()}")
        time.sleep(0.1)


@dataclass
class Projector:
    """The Kafka runner as `hotich project` builds it, on ``views``, with the runner's consumer
    settings (kafka_consumer)."""

    runner: KafkaProjectionRunner
    producer: KafkaProducer  # for the quarantine topic
    models: EnvelopeReadModels
    chain: SqlChainLedger
    errors: list[BaseException] = field(default_factory=list)
    thread: threading.Thread | None = None

    @classmethod
    def build(cls, container: Container, views: Views, group: str) -> Projector:
        settings = container.settings
        assert settings.kafka_bootstrap
        consumer = kafka_consumer(settings.kafka_bootstrap, group)
        producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
        models = views.models()
        chain = views.chain()
        runner = KafkaProjectionRunner(
            consumer,
            producer,
            settings.kafka_topic,
            [Target(view, projection) for view, projection in models.projection_types()],
            container.keyring.public_keys(),
            chain,
        )
        runner.subscribe()
        return cls(runner, producer, models, chain)

    def caught_up(self) -> bool:
        consumer = self.runner.consumer
        assigned = list(consumer.assignment())
        if len(assigned) < PARTITIONS:
            return False
        ends = consumer.end_offsets(assigned)
        return all(consumer.position(tp) >= ends[tp] for tp in assigned)

    def feed_until_caught_up(self) -> None:
        """Poll (in this thread) until every partition's end is reached."""
        deadline = time.monotonic() + WAIT
        while True:
            self.runner.poll_once(timeout_ms=200)
            if self.caught_up():
                return
            if time.monotonic() > deadline:
                pytest.fail(f"the projector did not reach the topic's end within {WAIT:.0f}s")

    def died(self) -> str:
        """How the runner's thread died, if it did."""
        return "".join(
            "\nthe projector died:\n" + "".join(traceback.format_exception(e)) for e in self.errors
        )

    def start(self) -> None:
        def run() -> None:
            try:
                self.runner.run()
            except BaseException as e:  # reported by the test, not lost in the thread
                self.errors.append(e)

        self.thread = threading.Thread(target=run, name="projector", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.runner.stop()
        if self.thread is not None:
            self.thread.join(timeout=WAIT)
            assert not self.thread.is_alive(), "the projector thread did not stop"
        self.runner.consumer.close()
        self.producer.close()
        self.models.close()
        self.chain.close()


def read_topic(bootstrap_servers: str, topic: str, partitions: int) -> list[Any]:
    """Every message of the topic, up to its end offsets."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    parts = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    ends = consumer.end_offsets(parts)
    messages: list[Any] = []
    deadline = time.monotonic() + WAIT
    while any(consumer.position(tp) < ends[tp] for tp in parts):
        for records in consumer.poll(timeout_ms=500).values():
            messages.extend(records)
        if time.monotonic() > deadline:
            pytest.fail(f"{topic}: read {len(messages)} of {sum(ends.values())} messages")
    consumer.close()
    return messages


def child_env(container: Container) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTICH_")}
    settings = container.settings
    assert settings.kafka_bootstrap
    env.update(
        HOTICH_HOME=str(settings.home),
        HOTICH_DEMO="false",
        HOTICH_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        HOTICH_KAFKA_TOPIC=settings.kafka_topic,
    )
    if settings.database_url:
        env.update(HOTICH_DATABASE_URL=settings.database_url)
    return env


def spawn(container: Container, log: Path, *args: str) -> subprocess.Popen[str]:
    """A child Python process in the repository: ``-m module args``; output to ``log``."""
    with log.open("w") as out:  # the child writes to its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=child_env(container),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def finished(child: subprocess.Popen[str], log: Path) -> tuple[int, str]:
    try:
        code = child.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        pytest.fail(f"{child.args!r} still running after {WAIT:.0f}s:\n{log.read_text()}")
    return code, log.read_text()


# ----- the scenarios -----------------------------------------------------------------------------
def test_a_broker_stopped_mid_stream_and_started_again_loses_nothing_and_applies_nothing_twice(
    broker: OwnService, container: Container, work: Workload, tmp_path: Path
) -> None:
    app = container.app
    work.advance(90)

    relay = build_relay(container)  # as `hotich relay` and `hotich serve` build it
    relay.batch = 20  # many batches in flight around the outage
    relay_errors: list[Exception] = []
    relaying = threading.Thread(
        target=relay.run, kwargs={"interval": 0.05, "on_error": relay_errors.append}
    )
    relaying.start()
    views = Views.of(container, "from_kafka")
    projector = Projector.build(container, views, f"faults-{uuid.uuid4().hex[:8]}")
    projector.start()
    try:
        writer = threading.Thread(target=work.advance, args=(100,), name="writer")
        writer.start()  # the clerks keep working while the broker goes down
        wait_for(lambda: relay.position >= 40, lambda: f"relay at {relay.position}")
        broker.stop()
        writer.join(timeout=WAIT)
        assert not writer.is_alive()
        work.advance(50)  # recorded while the broker is down: nothing can be acknowledged
        head = log_head(app)
        assert relay.position < head
        broker.start("--keep-data")
        work.advance()  # and the rest, after the restart

        head = log_head(app)
        assert head > 250
        rebuilt = Rebuild.of(container, "rebuild")
        wait_for(
            lambda: relay.position == head and not rebuilt.differences(views),
            lambda: (
                f"relay at {relay.position} of {head} (errors: {relay_errors[-3:]}); projector "
                f"applied {projector.runner.stats.applied}, quarantined "
                f"{projector.runner.stats.quarantine_reasons}; {rebuilt.differences(views)}"
                f"{projector.died()}"
            ),
        )
    finally:
        relay.close()
        relaying.join(timeout=WAIT)
        projector.close()
    assert not projector.errors, projector.died()
    assert projector.runner.stats.quarantined == 0
    # nothing lost on the broker either: every stored event is on the topic at least once
    on_topic = {
        int(dict(m.headers)["notification_id"])
        for m in read_topic(BOOTSTRAP, container.settings.kafka_topic, PARTITIONS)
    }
    assert on_topic == set(range(1, head + 1))
    assert_views_equal_the_rebuild(container, views, rebuilt, work)


def test_b_relay_killed_between_acknowledgement_and_position_commit_resends_and_views_hold(
    broker: OwnService, container: Container, work: Workload, total: int, tmp_path: Path
) -> None:
    batch = 60

    # the relay's second batch is acknowledged by the broker, then the process is SIGKILLed
    # before it stores the position
    log = tmp_path / "relay-killed.log"
    child = spawn(
        container,
        log,
        "tests.integration.kafka_faults_child",
        "relay",
        "--batch",
        str(batch),
        "--die-at-commit",
        "2",
    )
    code, output = finished(child, log)
    assert code == -signal.SIGKILL, output
    assert f"acknowledged up to {2 * batch}; dying before storing it" in output
    assert SqlPositions(container.db).get("relay") == batch

    # the projector keeps running meanwhile: it applies both batches
    views = Views.of(container, "from_kafka")
    projector = Projector.build(container, views, f"faults-{uuid.uuid4().hex[:8]}")
    try:
        projector.feed_until_caught_up()
        assert projector.runner.stats.applied == 2 * batch

        # the relay restarts (`hotich relay --once`): from the stored position, it sends the
        # acknowledged batch again
        log = tmp_path / "relay-restarted.log"
        code, output = finished(spawn(container, log, "cli.main", "relay", "--once"), log)
        assert code == 0, output
        assert f"relayed {total - batch} events; position {total}" in output

        messages = read_topic(BOOTSTRAP, container.settings.kafka_topic, PARTITIONS)
        assert len(messages) == total + batch
        copies = Counter(
            (json.loads(m.value)["aggregate_id"], json.loads(m.value)["version"]) for m in messages
        )
        assert len(copies) == total
        assert max(copies.values()) == 2
        resent = {
            int(dict(m.headers)["notification_id"])
            for m in messages
            if copies[(json.loads(m.value)["aggregate_id"], json.loads(m.value)["version"])] > 1
        }
        assert resent == set(range(batch + 1, 2 * batch + 1))  # exactly the unstored batch

        projector.feed_until_caught_up()
        assert projector.runner.stats.applied == total + batch  # duplicates handled, dropped
        assert projector.runner.stats.quarantined == 0
    finally:
        projector.close()
    assert_views_equal_the_rebuild(container, views, Rebuild.of(container, "rb"), work)


def test_c_projection_worker_killed_mid_batch_resumes_from_its_views(
    broker: OwnService, container: Container, work: Workload, total: int, tmp_path: Path
) -> None:
    rebuilt = Rebuild.of(container, "rebuild")
    home = Views.of(container, "", fresh=False)  # where `hotich project` keeps its views
    topic = container.settings.kafka_topic
    first, die_at = 150, 200

    relay = build_relay(container)
    try:
        relay.batch = first
        assert relay.relay_once() == first

        # `hotich project`, wrapped to SIGKILL itself inside the batch holding the 200th event
        log = tmp_path / "project-killed.log"
        child = spawn(
            container,
            log,
            "tests.integration.kafka_faults_child",
            "project",
            "--group",
            f"faults-{uuid.uuid4().hex[:8]}",
            "--die-at-event",
            str(die_at),
        )
        wait_for(
            lambda: home.committed(rebuilt.names, topic) == first or child.poll() is not None,
            lambda: f"the worker committed {home.committed(rebuilt.names, topic)}",
        )
        assert child.poll() is None, log.read_text()
        while relay.relay_once():  # the rest arrives: the worker dies in the middle of it
            pass
    finally:
        relay.close()
    code, output = finished(child, log)
    assert code == -signal.SIGKILL, output
    assert f"applied {die_at} events; dying inside the batch" in output
    committed = home.committed(rebuilt.names, topic)
    assert first <= committed < die_at  # the batch being written was rolled back

    # restarted (`hotich project`; a new group, since the killed member would hold its
    # partitions until its session expires): it resumes from the views' positions
    log = tmp_path / "project-restarted.log"
    child = spawn(
        container, log, "cli.main", "project", "--group", f"faults-{uuid.uuid4().hex[:8]}"
    )
    try:
        wait_for(
            lambda: not rebuilt.differences(home) or child.poll() is not None,
            lambda: f"{rebuilt.differences(home)}\n{log.read_text()}",
        )
    finally:
        child.send_signal(signal.SIGINT)
    code, output = finished(child, log)
    assert code == 0, output
    assert f"applied {total - committed}, quarantined 0" in output  # no more, no less
    assert_views_equal_the_rebuild(container, home, rebuilt, work)


def test_d_a_tampered_event_is_quarantined_and_the_views_equal_the_untampered_rebuild(
    broker: OwnService, container: Container, work: Workload, total: int, tmp_path: Path
) -> None:
    app = container.app
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    topic = container.settings.kafka_topic

    # the keying of the last entry, tampered before the relay sends the genuine one
    target = next(
        n
        for n in reversed(app.recorder.select_notifications(start=1, limit=total))
        if str(n.originator_id) == str(work.entries[-1]) and n.originator_version == 1
    )
    envelope = app.mapper.open_envelope(target)
    assert envelope["payload"]["fields"]["child.full_name"] != "Kẻ Giả Mạo"
    envelope["payload"]["fields"]["child.full_name"] = "Kẻ Giả Mạo"  # hash and signature kept
    tampered = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()

    relay = build_relay(container)
    intruder = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    views = Views.of(container, "from_kafka")
    projector = Projector.build(container, views, f"faults-{uuid.uuid4().hex[:8]}")
    try:
        relay.batch = target.id - 1
        assert relay.relay_once() == target.id - 1
        intruder.send(topic, value=tampered, key=str(envelope["district"]).encode()).get(30)
        relay.batch = 500
        while relay.relay_once():
            pass
        projector.feed_until_caught_up()
        stats = projector.runner.stats
        assert stats.applied == total
        assert stats.quarantined == 1
        assert stats.quarantine_reasons[0].startswith("hash does not match")
    finally:
        intruder.close()
        relay.close()
        projector.close()

    [held] = read_topic(BOOTSTRAP, f"{topic}.quarantine", 1)
    headers = dict(held.headers)
    assert held.value == tampered
    assert headers["reason"].startswith(b"hash does not match")
    assert headers["source"].startswith(f"{topic}:".encode())
    assert_views_equal_the_rebuild(container, views, Rebuild.of(container, "rb"), work)
