"""What every command shares: the consoles, the settings, and failing with a message."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from bootstrap.settings import Settings

console = Console()
err = Console(stderr=True, soft_wrap=True)


def settings() -> Settings:
    """Read afresh on every command (one command per process; tests run several)."""
    return Settings()


def fail(message: object, code: int = 2) -> NoReturn:
    """Print ``message`` in red on stderr and exit with ``code``."""
    err.print(f"[red]{message}[/red]")
    raise typer.Exit(code)
