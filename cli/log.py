"""hotich log: the verifiable log of the event store (back-fill, sign, show the key)."""

from __future__ import annotations

import sys

import typer

from bootstrap.container import bootstrap
from bootstrap.log import build_log
from cli.console import console, settings
from cli.progress import counting

log_app = typer.Typer(
    help="The verifiable log (nhật ký kiểm chứng): every event a leaf, signed checkpoints.",
    no_args_is_help=True,
)


@log_app.command("init")
def log_init() -> None:
    """Put every stored event the tree lacks into it (a store from before the log), then sign
    a checkpoint; `hotich serve` keeps it up to date afterwards."""
    container = bootstrap(settings(), sign=False)
    log = build_log(container)
    try:
        with counting("adding events to the log") as update:
            added = log.catch_up(progress=update)
        signed = log.sign_checkpoint()
    finally:
        log.close()
        container.close()
    console.print(f"{added:,} events added; the tree holds {log.size():,}")
    if signed is not None:
        sys.stdout.write(signed.note)  # as signed, byte for byte (no wrapping)


@log_app.command("checkpoint")
def log_checkpoint() -> None:
    """Bring the tree up to the store, sign a checkpoint if it grew, print the newest one."""
    container = bootstrap(settings(), sign=False)
    log = build_log(container)
    try:
        log.catch_up()
        log.sign_checkpoint()
        note = log.checkpoint_note()
    finally:
        log.close()
        container.close()
    sys.stdout.write(note or "no checkpoint: the store holds no event\n")


@log_app.command("key")
def log_key() -> None:
    """Print the log's verifier key (what a witness, an auditor or Go's note package takes)."""
    container = bootstrap(settings(), sign=False)
    log = build_log(container)
    try:
        sys.stdout.write(log.verifier_key() + "\n")
    finally:
        log.close()
        container.close()
