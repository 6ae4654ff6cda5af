"""hotich: the command line. Messages in English, with Vietnamese labels where they help.

Each command parses its options, calls what the composition root (bootstrap/) builds, and
prints the outcome; the commands that act on records go through the HTTP API (cli/client.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from bootstrap.container import bootstrap, init_home
from cli import kafka, store
from cli.books import books_app
from cli.client import ApiError
from cli.console import console, fail, settings
from cli.entries import ApiUrl, Token, entries_app, open_client, registers_app
from cli.extracts import extracts_app, sign_app
from cli.keys import keys_app
from cli.log import log_app
from cli.projections import projections_app
from cli.users import users_app
from cli.witness import witness_app

app = typer.Typer(
    help="hotich — signed, event-sourced civil-status records (hộ tịch).", no_args_is_help=True
)
for sub, name in (
    (keys_app, "keys"),
    (users_app, "users"),
    (registers_app, "registers"),
    (entries_app, "entries"),
    (projections_app, "projections"),
    (log_app, "log"),
    (witness_app, "witness"),
    (books_app, "books"),
    (extracts_app, "extracts"),
    (sign_app, "sign"),
):
    app.add_typer(sub, name=name)
for command in (store.verify, store.fixity, kafka.relay, kafka.project):
    app.command()(command)


@app.command()
def init(
    encrypt: Annotated[
        bool, typer.Option(help="create an AES-256 key for encryption at rest")
    ] = True,
) -> None:
    """Create the data directory, the first signing key and the cipher key."""
    config = settings()
    done = init_home(config, encrypt=encrypt)
    for line in done or [f"{config.home} is already set up"]:
        console.print(line)


@app.command()
def demo() -> None:
    """Load the demo province (Hà Giang) into an empty store."""
    from bootstrap.serve import add_demo_users
    from demo.load import load_demo

    container = bootstrap(settings())
    try:
        if container.app.recorder.max_notification_id():
            fail("the store is not empty; the demo loads only into an empty store")
        summary = load_demo(container.app)
        add_demo_users(container, console.print)
    finally:
        container.close()
    console.print(
        f"demo loaded: {summary.registers} registers (sổ), {summary.entries} entries (bản ghi)"
    )
    console.print(", ".join(f"{k}: {v}" for k, v in sorted(summary.by_status.items())))


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

    from bootstrap.serve import serve as serve_http

    config = settings()
    serve_http(
        config,
        host=host or config.host,
        port=port or config.port,
        workers=workers or config.workers,
        say=console.print,
    )


@app.command()
def upload(
    directory: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="folder of scans")
    ],
    register: Annotated[UUID, typer.Option(help="register (sổ) id")],
    api: ApiUrl = "http://127.0.0.1:8000",
    token: Token = None,
    batch: Annotated[int, typer.Option(min=1, max=50, help="files per request")] = 10,
    jobs: Annotated[int, typer.Option(min=1, max=16, help="requests in flight at once")] = 1,
) -> None:
    """Upload a folder of scanned pages; a rerun skips what is stored (resume)."""
    from cli.upload import upload_folder

    client = open_client(api, token)
    try:
        summary = upload_folder(client, register, directory, console, batch_size=batch, jobs=jobs)
    except ApiError as e:
        fail(e)
    finally:
        client.close()
    console.print(
        f"uploaded {summary.uploaded}, already stored {summary.already_stored}, "
        f"failed {summary.failed}"
    )
    if summary.failed:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
