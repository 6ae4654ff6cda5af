"""hotich witness: run another office's witness of a hotich log, or print its key."""

from __future__ import annotations

import logging
import sys
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from bootstrap.witness import WitnessSetupError, exit_code, open_witness, run_witness, witness_key
from cli.console import console, err, fail

witness_app = typer.Typer(
    help="A witness (đơn vị chứng kiến) of a hotich log: checks each checkpoint extends the "
    "last it accepted, cosigns only those, alarms otherwise."
)
State = Annotated[Path | None, typer.Option(help="the witness's state directory")]
KeyFile = Annotated[
    Path | None, typer.Option("--key", help="the witness's key file (default: STATE/witness.key)")
]
LogUrl = Annotated[str | None, typer.Option(help="the log's URL, e.g. http://host:8000/log")]
LogKey = Annotated[str | None, typer.Option(help="the log's verifier key, or a file holding it")]
Name = Annotated[
    str | None, typer.Option(help="the witness's name, when its key is made (e.g. stp.example/w1)")
]


@witness_app.callback(invoke_without_command=True)
def witness(
    ctx: typer.Context,
    state: State = None,
    log: LogUrl = None,
    log_key: LogKey = None,
    key: KeyFile = None,
    name: Name = None,
    token: Annotated[
        str | None, typer.Option(envvar="HOTICH_TOKEN", help="a witness token: post cosignatures")
    ] = None,
    once: Annotated[bool, typer.Option(help="poll once; exit 1 on an alarm")] = False,
    interval: Annotated[float, typer.Option(min=0.05, help="seconds between polls")] = 10.0,
) -> None:
    """Witness the log at --log: cosign each checkpoint that extends the last one accepted;
    refuse, and record an alarm, on a smaller tree or another root (exit 1 with --once)."""
    if ctx.invoked_subcommand is not None:
        return
    if state is None or log is None:
        fail("give --state DIR and --log URL (and --log-key VKEY the first time)")
    level = logging.WARNING if once else logging.INFO  # --once prints its outcome itself
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        opened = open_witness(
            state, log_url=log, log_key=log_key, key_file=key, name=name, token=token
        )
    except WitnessSetupError as e:
        fail(e)
    with closing(opened):
        if not once:
            run_witness(opened, interval)
            return
        poll = opened.poll()
        code = exit_code(poll)
        shown = console if code == 0 else err
        shown.print(poll.message, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code)


@witness_app.command("key")
def key_command(state: State = None, key: KeyFile = None, name: Name = None) -> None:
    """Print the witness's verifier key (made first if absent) for the log's
    HOTICH_LOG_WITNESSES."""
    if state is None and key is None:
        fail("give --state DIR (or --key FILE)")
    try:
        sys.stdout.write(witness_key(state or Path("."), key, name) + "\n")
    except WitnessSetupError as e:
        fail(e)
