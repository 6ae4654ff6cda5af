"""hotich keys: the service's signing keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.console import console, settings
from infra.signing.keyring import Keyring

keys_app = typer.Typer(help="Signing keys (khóa ký): rotate, list, export.", no_args_is_help=True)


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Add a new current signing key; earlier public keys stay valid for checking."""
    key = Keyring.open(settings().keys_dir).rotate()
    console.print(f"new current key: {key.key_id} (restart running servers to sign with it)")


@keys_app.command("list")
def keys_list() -> None:
    """List the published keys."""
    keyring = Keyring.open(settings().keys_dir)
    current = keyring.current_key_id
    table = Table("key id", "algorithm", "created", "current")
    for key in keyring.public_keys().to_json()["keys"]:
        current_mark = "yes" if key["key_id"] == current else ""
        table.add_row(key["key_id"], key["algorithm"], key["created_at"], current_mark)
    console.print(table)


@keys_app.command("export")
def keys_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file to write; default stdout")
    ] = None,
) -> None:
    """Print (or write) the public key set as JSON, for anyone who checks events."""
    keyring = Keyring.open(settings().keys_dir)
    text = json.dumps(keyring.public_keys().to_json(), indent=2, ensure_ascii=False) + "\n"
    if output:
        output.write_text(text, "utf-8")
        console.print(f"wrote {output}")
    else:
        sys.stdout.write(text)
