"""hotich: the command line. Messages in English, with Vietnamese labels where they help."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from domain.actor import Role
from domain.errors import DomainError
from infra.auth.user_store import SqlUserStore
from infra.bootstrap import Container, bootstrap, init_home, load_admin_units, service_database
from infra.cli.client import ApiError
from infra.cli.entries import entries_app, open_client, registers_app
from infra.settings import Settings
from infra.signing.keyring import Keyring, KeyringError, PublicKeySet
from infra.store.scan import scan_postgres, scan_sqlite
from infra.store.verify import verify_store

app = typer.Typer(
    help="hotich — signed, event-sourced civil-status records (hộ tịch).", no_args_is_help=True
)
keys_app = typer.Typer(help="Signing keys (khóa ký): rotate, list, export.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(registers_app, name="registers")
app.add_typer(entries_app, name="entries")
console = Console()
err = Console(stderr=True, soft_wrap=True)


def _settings() -> Settings:
    """Read afresh on every command (one command per process; tests run several)."""
    return Settings()


@app.command()
def init(
    encrypt: Annotated[
        bool, typer.Option(help="create an AES-256 key for encryption at rest")
    ] = True,
) -> None:
    """Create the data directory, the first signing key and the cipher key."""
    settings = _settings()
    done = init_home(settings, encrypt=encrypt)
    for line in done or [f"{settings.home} is already set up"]:
        console.print(line)


def _demo_users(container: Container) -> None:
    from demo.load import create_demo_users

    tokens_file = container.settings.home / "demo-tokens.txt"
    if create_demo_users(container.users, tokens_file):
        console.print(f"demo users and their bearer tokens: {tokens_file}")


@app.command()
def demo() -> None:
    """Load the demo province (Hà Giang) into an empty store."""
    from demo.load import load_demo

    container = bootstrap(_settings())
    try:
        if container.app.recorder.max_notification_id():
            err.print("[red]the store is not empty; the demo loads only into an empty store[/red]")
            raise typer.Exit(2)
        summary = load_demo(container.app)
        _demo_users(container)
    finally:
        container.close()
    console.print(
        f"demo loaded: {summary.registers} registers (sổ), {summary.entries} entries (bản ghi)"
    )
    console.print(", ".join(f"{k}: {v}" for k, v in sorted(summary.by_status.items())))


def _start_relay(container: Container) -> Any:
    """Run the relay in a thread of `hotich serve` (Kafka configured): `hotich project` feeds the
    read models then, in their own processes."""
    import threading

    from infra.messaging.wiring import build_relay

    worker = build_relay(container)
    threading.Thread(target=worker.run, name="relay", daemon=True).start()
    settings = container.settings
    console.print(f"relaying to {settings.kafka_topic} at {settings.kafka_bootstrap}")
    return worker


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="listen address (HOTICH_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="listen port (HOTICH_PORT)")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="HTTP worker processes (HOTICH_WORKERS; default 1)"),
    ] = None,
) -> None:
    """Serve the HTTP API; loads the demo into an empty store unless HOTICH_DEMO=false.

    With more than one worker, this process feeds the views (and relays to Kafka when it is
    configured) while the worker processes answer HTTP on the same socket."""
    import uvicorn

    from demo.load import load_demo
    from infra.web import build_web

    settings = _settings()
    init_home(settings, encrypt=settings.database_url is None)
    container = bootstrap(settings)
    if settings.demo and not container.app.recorder.max_notification_id():
        console.print("empty store: loading the demo (Hà Giang) ...")
        summary = load_demo(container.app)
        console.print(f"demo loaded: {summary.registers} registers, {summary.entries} entries")
        _demo_users(container)
    kafka = settings.kafka_bootstrap is not None
    web = build_web(container, feed_envelope_views=not kafka)
    relay_worker = _start_relay(container) if kafka else None
    processes = workers or settings.workers
    host, port = host or settings.host, port or settings.port
    try:
        if processes == 1:
            uvicorn.run(web.api, host=host, port=port, log_level=settings.log_level)
        else:
            from infra.http_workers import serve_workers

            web.start_runners()  # the workers only answer; this process feeds the views
            try:
                config = uvicorn.Config(
                    "infra.web:worker_app",
                    factory=True,
                    host=host,
                    port=port,
                    log_level=settings.log_level,
                )
                serve_workers(config, processes)
            finally:
                web.stop_runners()
    finally:
        if relay_worker is not None:
            relay_worker.close()
        web.close()
        container.close()


@app.command()
def verify(
    keys: Annotated[
        Path | None,
        typer.Option(help="check against this exported key set instead of the data directory's"),
    ] = None,
    jobs: Annotated[
        int, typer.Option(min=1, max=64, help="worker processes for signature checks")
    ] = 2,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Check the whole store: contiguous versions, every hash chain, every signature."""
    settings = _settings()
    try:
        key_set = PublicKeySet.load(keys) if keys else Keyring(settings.keys_dir).public_keys()
    except KeyringError as e:
        err.print(f"[red]keys: {e}[/red]")
        raise typer.Exit(2) from None
    try:
        batches = (
            scan_postgres(settings.database_url)
            if settings.database_url
            else scan_sqlite(settings.sqlite_path)
        )
        with Progress(
            TextColumn("verifying"),
            BarColumn(bar_width=None),
            TextColumn("{task.completed:,} events"),
            TimeElapsedColumn(),
            console=err,
            disable=not progress or not err.is_terminal,
        ) as bar:
            task = bar.add_task("verify", total=None)
            report = verify_store(
                batches,
                cipher_key=settings.resolved_cipher_key(),
                keys=key_set,
                jobs=jobs,
                on_progress=lambda n: bar.advance(task, n),
            )
    except FileNotFoundError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = Table(show_header=False, box=None)
    table.add_row("events (sự kiện)", f"{report.events:,}")
    table.add_row("aggregates", f"{report.aggregates:,}")
    table.add_row(
        "keys seen (khóa)", ", ".join(f"{k} ({n:,})" for k, n in report.keys_seen.items()) or "-"
    )
    table.add_row("events/s", f"{report.events_per_second:,.0f}")
    table.add_row("peak memory", f"{peak_mb:,.0f} MB")
    console.print(table)
    if report.ok:
        console.print("[green]OK: every chain, version and signature checks[/green]")
        return
    for problem in report.problems:
        err.print(f"[red]FAIL[/red] {problem}")
    if report.problem_count > len(report.problems):
        err.print(f"... and {report.problem_count - len(report.problems)} more")
    err.print(f"[red]{report.problem_count} problem(s) found[/red]")
    raise typer.Exit(1)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Add a new current signing key; earlier public keys stay valid for checking."""
    key = Keyring.open(_settings().keys_dir).rotate()
    console.print(f"new current key: {key.key_id} (restart running servers to sign with it)")


@keys_app.command("list")
def keys_list() -> None:
    """List the published keys."""
    keyring = Keyring.open(_settings().keys_dir)
    current = keyring.current_key_id
    table = Table("key id", "algorithm", "created", "current")
    for key in keyring.public_keys().to_json()["keys"]:
        table.add_row(
            key["key_id"],
            key["algorithm"],
            key["created_at"],
            "yes" if key["key_id"] == current else "",
        )
    console.print(table)


@keys_app.command("export")
def keys_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write; default stdout")
    ] = None,
) -> None:
    """Print (or write) the public key set as JSON, for anyone who checks events."""
    keyring = Keyring.open(_settings().keys_dir)
    text = json.dumps(keyring.public_keys().to_json(), indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, "utf-8")
        console.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


# ----- users and tokens -----------------------------------------------------------------------
users_app = typer.Typer(
    help="Users (người dùng), roles, district scopes and tokens.", no_args_is_help=True
)
app.add_typer(users_app, name="users")


def _users() -> SqlUserStore:
    return bootstrap(_settings(), sign=False).users


@users_app.command("add")
def users_add(
    user_id: Annotated[str, typer.Argument(help="login id, e.g. clerk.026.1")],
    role: Annotated[Role, typer.Option(help="clerk, verifier, manager, portal or admin")],
    districts: Annotated[
        str, typer.Option(help="district codes (mã huyện), comma-separated, or *")
    ],
    name: Annotated[str, typer.Option(help="display name (họ tên)")] = "",
) -> None:
    """Add a user and print their first token (shown once, stored hashed)."""
    store = _users()
    units = load_admin_units(_settings().admin_units_csv)
    codes = [d.strip() for d in districts.split(",") if d.strip()]
    try:
        for code in codes:
            if code != "*":
                units.district(code, field="districts")
        user = store.add_user(user_id, name=name, role=role, districts=codes, created_by="cli")
        token = store.issue_token(user.id)
    except DomainError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    console.print(
        f"added {user.id} ({user.role.value}, districts {','.join(sorted(user.districts))})"
    )
    console.print("token (shown once; store it safely):")
    sys.stdout.write(token + "\n")


@users_app.command("token")
def users_token(
    user_id: str, valid_days: Annotated[int, typer.Option(min=1, max=3650)] = 365
) -> None:
    """Issue a new token for a user (shown once, stored hashed)."""
    try:
        token = _users().issue_token(user_id, valid_days=valid_days)
    except DomainError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    sys.stdout.write(token + "\n")


@users_app.command("list")
def users_list() -> None:
    """List users with their roles and districts."""
    table = Table("user", "name", "role", "districts", "status")
    for user in _users().list_users():
        table.add_row(
            user.id,
            user.name,
            user.role.value,
            ",".join(sorted(user.districts)),
            "revoked" if user.revoked else "active",
        )
    console.print(table)


@users_app.command("revoke")
def users_revoke(user_id: str) -> None:
    """Revoke a user and every token they hold."""
    try:
        _users().revoke_user(user_id)
    except DomainError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    console.print(f"revoked {user_id}")


# ----- HTTP commands --------------------------------------------------------------------------
ApiUrl = Annotated[str, typer.Option(envvar="HOTICH_API_URL", help="the hotich API")]
Token = Annotated[str | None, typer.Option(envvar="HOTICH_TOKEN", help="bearer token")]


@app.command()
def upload(
    directory: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="folder of scans")
    ],
    register: Annotated[UUID, typer.Option(help="register (sổ) id")],
    api: ApiUrl = "http://127.0.0.1:8000",
    token: Token = None,
    batch: Annotated[int, typer.Option(min=1, max=50, help="files per request")] = 8,
) -> None:
    """Upload a folder of scanned pages; a rerun skips what is stored (resume)."""
    from infra.cli.upload import upload_folder

    client = open_client(api, token)
    try:
        summary = upload_folder(client, register, directory, console, batch_size=batch)
    except ApiError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    finally:
        client.close()
    console.print(
        f"uploaded {summary.uploaded}, already stored {summary.already_stored}, "
        f"failed {summary.failed}"
    )
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def fixity(
    register: Annotated[UUID | None, typer.Option(help="check one register; default: all")] = None,
) -> None:
    """Re-read every stored scan, compare SHA-256 and size with the events, record the outcome."""
    container = bootstrap(_settings())
    failed = 0
    table = Table("register (sổ)", "scans", "missing", "changed", "outcome")
    try:
        ids = [register] if register else list(container.app.register_ids())
        for register_id in ids:
            report = container.app.check_fixity(register_id=register_id)
            failed += not report.ok
            table.add_row(
                str(register_id),
                str(report.checked),
                "\n".join(report.missing) or "-",
                "\n".join(report.changed) or "-",
                "pass" if report.ok else "[red]FAIL[/red]",
            )
    except DomainError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    finally:
        container.close()
    console.print(table)
    if failed:
        err.print(f"[red]{failed} register(s) with missing or changed scans[/red]")
        raise typer.Exit(1)
    console.print(
        f"[green]OK: every stored scan of {len(ids)} register(s) matches its events[/green]"
    )


@app.command()
def relay(
    once: Annotated[bool, typer.Option(help="relay what is stored, then exit")] = False,
) -> None:
    """Publish the stored event log to Kafka (HOTICH_KAFKA_BOOTSTRAP), from the last position."""
    from infra.messaging.wiring import build_relay

    settings = _settings()
    if not settings.kafka_bootstrap:
        err.print("[red]HOTICH_KAFKA_BOOTSTRAP: required (host:port of the Kafka broker)[/red]")
        raise typer.Exit(2)
    container = bootstrap(settings, sign=False)
    worker = build_relay(container)
    try:
        if once:
            total = 0
            while sent := worker.relay_once():
                total += sent
            console.print(f"relayed {total} events; position {worker.position}")
        else:
            console.print(f"relaying to {settings.kafka_topic} from position {worker.position}")
            worker.run()
    except KeyboardInterrupt:
        worker.stop()
    finally:
        worker.close()
        container.close()


@app.command()
def project(
    group: Annotated[
        str, typer.Option(help="consumer group; processes of one group share partitions")
    ] = "hotich-projections",
    until_idle: Annotated[bool, typer.Option(help="stop when the topic has nothing new")] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="serve Prometheus metrics on this port (HOTICH_HOST)"),
    ] = None,
) -> None:
    """Feed the read models from Kafka (HOTICH_KAFKA_BOOTSTRAP) as a consumer group."""
    from kafka import KafkaProducer

    from infra.messaging.consumer import KafkaProjectionRunner, Target, kafka_consumer
    from infra.read_store.backend import ReadStoreBackend
    from infra.read_store.chain import SqlChainLedger
    from infra.read_store.live_views import ENVELOPE_MODELS, LiveViews
    from infra.read_store.slots import SqlViewSlots

    settings = _settings()
    if not settings.kafka_bootstrap:
        err.print("[red]HOTICH_KAFKA_BOOTSTRAP: required (host:port of the Kafka broker)[/red]")
        raise typer.Exit(2)
    settings.home.mkdir(parents=True, exist_ok=True)
    read_store = ReadStoreBackend.from_settings(settings)
    keys = Keyring(settings.keys_dir).public_keys()
    consumer = kafka_consumer(settings.kafka_bootstrap, group)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    service_db = service_database(settings)
    models = LiveViews(read_store, SqlViewSlots(service_db))  # follows rebuilt copies
    chain = SqlChainLedger(read_store.database("chain"))
    runner = KafkaProjectionRunner(
        consumer,
        producer,
        settings.kafka_topic,
        [Target(view, projection) for view, projection in models.projection_types(ENVELOPE_MODELS)],
        keys,
        chain,
    )
    metrics = None
    if metrics_port is not None:
        from infra.messaging.metrics import serve_metrics

        try:
            metrics = serve_metrics(runner.stats, host=settings.host, port=metrics_port)
        except OSError as e:
            consumer.close()
            producer.close()
            err.print(f"[red]--metrics-port {metrics_port}: {e}[/red]")
            raise typer.Exit(2) from None
        console.print(f"metrics at http://{settings.host}:{metrics_port}/")
    runner.subscribe()
    try:
        if until_idle:
            runner.run_until_idle()
        else:
            console.print(f"projecting {settings.kafka_topic} as group {group}")
            runner.run()
    except KeyboardInterrupt:
        runner.stop()
    finally:
        consumer.close()
        producer.close()
        models.close()
        chain.close()
        service_db.close()
        if metrics is not None:
            metrics.shutdown()
            metrics.server_close()
    console.print(f"applied {runner.stats.applied}, quarantined {runner.stats.quarantined}")


projections_app = typer.Typer(
    help="Read models (bảng đọc): list their live copies, rebuild one.", no_args_is_help=True
)
app.add_typer(projections_app, name="projections")


@projections_app.command("list")
def projections_list() -> None:
    """Each read model's live copy, its position and the copy it replaced."""
    from infra.read_store.backend import ReadStoreBackend
    from infra.read_store.live_views import READ_MODELS, LiveViews
    from infra.read_store.slots import SqlViewSlots

    settings = _settings()
    service_db = service_database(settings)
    live = LiveViews(ReadStoreBackend.from_settings(settings), SqlViewSlots(service_db))
    table = Table("read model", "live copy", "position", "previous copy")
    try:
        for name in READ_MODELS:
            view = live.view(name)
            table.add_row(
                name, view.generation, str(view.position()), live.slots.previous(name) or "-"
            )
    finally:
        live.close()
        service_db.close()
    console.print(table)


@projections_app.command("rebuild")
def projections_rebuild(
    name: Annotated[str, typer.Argument(help="catalogue, progress, portal or history")],
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="log (the event store) or topic (offset 0 of HOTICH_KAFKA_TOPIC); default: "
            "topic when HOTICH_KAFKA_BOOTSTRAP is set, else log",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(min=0, help="worker processes checking seals (from the log); 0: this one"),
    ] = 1,
) -> None:
    """Build a fresh copy of a read model, then switch readers to it while the live one serves."""
    from infra.envelope_check import SealedEnvelopes
    from infra.read_store.backend import ReadStoreBackend
    from infra.read_store.live_views import LiveViews, read_model
    from infra.read_store.slots import SqlViewSlots
    from infra.rebuild import Rebuilt, rebuild_from_log, rebuild_from_topic
    from infra.store.mapper import SignedEnvelopeMapper

    settings = _settings()
    try:
        model = read_model(name)
    except ValueError as e:
        err.print(f"[red]NAME: {e}[/red]")
        raise typer.Exit(2) from None
    source = source or ("topic" if settings.kafka_bootstrap and model.from_envelopes else "log")
    if source not in ("log", "topic"):
        err.print(f"[red]--from: must be log or topic, not {source!r}[/red]")
        raise typer.Exit(2)
    if source == "topic" and not (settings.kafka_bootstrap and model.from_envelopes):
        err.print(
            "[red]--from topic: needs HOTICH_KAFKA_BOOTSTRAP, and a read model fed from Kafka "
            "(progress, portal, history); the catalogue is fed from the log[/red]"
        )
        raise typer.Exit(2)
    if source == "log" and settings.kafka_bootstrap and model.from_envelopes:
        err.print(
            "[red]--from log: with Kafka configured these views keep a position per partition; "
            "rebuild them --from topic[/red]"
        )
        raise typer.Exit(2)
    container = bootstrap(settings, sign=False)
    live = LiveViews(ReadStoreBackend.from_settings(settings), SqlViewSlots(container.db))
    keys = container.keyring.public_keys()
    rebuilt: Rebuilt
    try:
        with Progress(
            TextColumn(f"rebuilding {name} from the {source}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("events"),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task(name, total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if source == "topic":
                assert settings.kafka_bootstrap is not None
                rebuilt = rebuild_from_topic(
                    settings.kafka_bootstrap,
                    settings.kafka_topic,
                    live.copies(name),
                    live.slots,
                    keys,
                    progress=progress,
                )
            else:
                mapper = container.app.mapper
                assert isinstance(mapper, SignedEnvelopeMapper)
                sealed = SealedEnvelopes(mapper, keys, workers=jobs)
                try:
                    rebuilt = rebuild_from_log(
                        container.app,
                        live.copies(name),
                        live.slots,
                        sealed if model.from_envelopes else mapper.to_domain_event,
                        progress=progress,
                    )
                finally:
                    sealed.close()
    finally:
        live.close()
        container.close()
    switch = rebuilt.switch
    console.print(
        f"{name}: {rebuilt.events:,} events in {rebuilt.seconds:.1f} s "
        f"({rebuilt.rate:,.0f} ev/s), {rebuilt.quarantined} quarantined"
    )
    dropped = f"; dropped {switch.dropped}" if switch.dropped else ""
    console.print(
        f"live copy now {switch.generation} (was {switch.replaced}{dropped})", soft_wrap=True
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    app()
