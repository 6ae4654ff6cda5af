"""Progress bars on stderr (none when stderr is not a terminal, e.g. in scripts and tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from cli.console import err


@contextmanager
def counting(label: str, *, shown: bool = True) -> Iterator[Callable[[int, int | None], None]]:
    """A bar for ``label``; yields ``update(done, total)`` (total None: not known yet)."""
    with Progress(
        TextColumn(label),
        BarColumn(bar_width=None),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not shown or not err.is_terminal,
    ) as bar:
        task = bar.add_task(label, total=None, rate="")

        def update(done: int, total: int | None) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 else ""
            bar.update(task, completed=done, total=total, rate=rate)

        yield update
